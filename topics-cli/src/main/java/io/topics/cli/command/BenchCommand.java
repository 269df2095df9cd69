package io.topics.cli.command;

import picocli.CommandLine.Command;

/** {@code topics bench ...}: the HTTP load generator. */
@Command(name = "bench",
        description = "Closed-loop load generator: records/s, requests/s and latency percentiles.",
        subcommands = {BenchWriteCommand.class, BenchReadCommand.class, BenchWatchCommand.class})
final class BenchCommand {
}
