/**
 * Built-in auth providers: {@code bearer} (API keys from {@code TOPICS_API_KEYS}) and
 * {@code none} (development mode). Found by the server through ServiceLoader only, so nothing
 * here is exported.
 */
module io.topics.auth {
    requires io.topics.api;

    provides io.topics.api.spi.auth.AuthProvider with io.topics.auth.BearerAuthProvider, io.topics.auth.NoAuthProvider;
}
