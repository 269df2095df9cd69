package io.topics.api.spi.auth;

/** What a caller may do (spec §14). */
public enum Scope {
    READ, WRITE, DELETE, ADMIN
}
