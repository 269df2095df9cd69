package io.topics.cli;

import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

import io.topics.cli.command.RootCommand;

/** {@code bin/topics}: runs one command and exits with its status (0 ok, 1 error, 2 bad input). */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        // Buffered, not auto-flushed: `topics read` prints many lines and flushes per response.
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(
                new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8)));
        PrintWriter err = new PrintWriter(new OutputStreamWriter(
                new FileOutputStream(FileDescriptor.err), StandardCharsets.UTF_8), true);
        int status = RootCommand.run(args, System.in, out, err, System.getenv());
        out.flush();
        err.flush();
        System.exit(status);
    }
}
