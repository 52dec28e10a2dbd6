// libcurl, loaded on first use. crossrun links no HTTP stack: a process that never fetches a sysroot (nearly
// every run) does not pay for loading libcurl, GnuTLS/OpenSSL, Kerberos and LDAP (about 8 ms per start-up).
// The prototypes come from libcurl's own header; only the calls go through dlsym.
#include "CCurlLoader.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static struct {
    void *handle;
    char error[256];
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
} curl;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void) {
    const char *names[] = {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl-nss.so.4", "libcurl.so"};
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !curl.handle; i++) {
        curl.handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (!curl.handle) {
        snprintf(curl.error, sizeof curl.error,
                 "libcurl is not installed (no libcurl.so.4); install it (Debian: apt-get install libcurl4)");
        return;
    }
#define LOAD(field, symbol)                                                                                   \
    do {                                                                                                      \
        *(void **)&curl.field = dlsym(curl.handle, symbol);                                                   \
        if (!curl.field) {                                                                                    \
            snprintf(curl.error, sizeof curl.error, "the installed libcurl lacks %s; install libcurl4", symbol); \
            curl.handle = NULL;                                                                               \
            return;                                                                                           \
        }                                                                                                     \
    } while (0)
    LOAD(global_init, "curl_global_init");
    LOAD(easy_init, "curl_easy_init");
    LOAD(easy_setopt, "curl_easy_setopt");
    LOAD(easy_perform, "curl_easy_perform");
    LOAD(easy_getinfo, "curl_easy_getinfo");
    LOAD(easy_cleanup, "curl_easy_cleanup");
    LOAD(easy_strerror, "curl_easy_strerror");
#undef LOAD
    // Once, before any thread makes a handle (curl_easy_init would do it unsynchronised).
    if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(curl.error, sizeof curl.error, "libcurl could not initialise (curl_global_init failed)");
        curl.handle = NULL;
    }
}

struct sink_box {
    crossrun_http_sink sink;
    void *context;
};

static size_t write_body(char *bytes, size_t size, size_t count, void *userdata) {
    struct sink_box *box = userdata;
    return box->sink(bytes, size * count, box->context);
}

int crossrun_http_get(const char *url, const char *user_agent, long idle_timeout_seconds,
                      crossrun_http_sink sink, void *context, long *http_status,
                      char *error, size_t error_size) {
    pthread_once(&load_once, load);
    if (!curl.handle) {
        snprintf(error, error_size, "%s", curl.error);
        return -1;
    }
    CURL *handle = curl.easy_init();
    if (!handle) {
        snprintf(error, error_size, "libcurl could not make a transfer handle");
        return -1;
    }
    char message[CURL_ERROR_SIZE] = "";
    struct sink_box box = {sink, context};
    curl.easy_setopt(handle, CURLOPT_URL, url);
    curl.easy_setopt(handle, CURLOPT_USERAGENT, user_agent);
    curl.easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
    curl.easy_setopt(handle, CURLOPT_MAXREDIRS, 10L);
    curl.easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl.easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, idle_timeout_seconds);
    curl.easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl.easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, idle_timeout_seconds);
    curl.easy_setopt(handle, CURLOPT_WRITEFUNCTION, write_body);
    curl.easy_setopt(handle, CURLOPT_WRITEDATA, &box);
    curl.easy_setopt(handle, CURLOPT_ERRORBUFFER, message);
    CURLcode code = curl.easy_perform(handle);
    long status = 0;
    curl.easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    *http_status = status;
    curl.easy_cleanup(handle);
    if (code != CURLE_OK) {
        snprintf(error, error_size, "%s", message[0] ? message : curl.easy_strerror(code));
        return (int)code;
    }
    return 0;
}
