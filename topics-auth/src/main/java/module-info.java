/**
 * Built-in auth providers. Found by the server through ServiceLoader only, so nothing here is
 * exported.
 */
module io.topics.auth {
    requires io.topics.api;

    provides io.topics.api.spi.auth.AuthProvider with io.topics.auth.NoAuthProvider;
}
