/*
 * libcurl (libcurl4-openssl-dev) for the plugins' Swift (the `PluginCurl` target): curl_easy_setopt and curl_easy_getinfo are variadic,
 * which Swift cannot call, so each argument type gets a non-variadic inline wrapper.
 */
#include <curl/curl.h>

typedef size_t (*swiftlet_curl_data_fn)(char *buffer, size_t size, size_t count, void *context);

static inline CURLcode swiftlet_curl_set_string(CURL *curl, CURLoption option, const char *value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode swiftlet_curl_set_long(CURL *curl, CURLoption option, long value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode swiftlet_curl_set_pointer(CURL *curl, CURLoption option, void *value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode swiftlet_curl_set_slist(CURL *curl, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode swiftlet_curl_set_function(CURL *curl, CURLoption option, swiftlet_curl_data_fn value) {
    return curl_easy_setopt(curl, option, value);
}
static inline long swiftlet_curl_response_code(CURL *curl) {
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    return code;
}
/* Bytes of the request sent (its header): 0 when the request never left. */
static inline long swiftlet_curl_request_size(CURL *curl) {
    long size = 0;
    curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &size);
    return size;
}
