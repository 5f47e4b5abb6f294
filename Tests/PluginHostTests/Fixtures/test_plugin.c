/* A plugin for the loader's tests, varied at compile time:
 *   -DPLUGIN_ID='"x"' -DPLUGIN_VERSION='"1.0.0"'  what the binary says it is
 *   -DDECLINE          the entry returns NULL (it speaks no version the host offers)
 *   -DCHOOSE=0x...     the ABI version it answers with, whatever was offered
 *   -DSMALL            its descriptor ends after `start`, as if built against an older, smaller header
 *   -DFAIL_START       start reports an error
 *   -DIDENTITY_ID='"x"'  names itself "x" (with PLUGIN_VERSION) in its .swiftlet_plugin section (ABI 1.3)
 *   -DTOUCH_FILE='"/path"'  a constructor creates that file when the library is loaded
 *   -DPROVIDE='"name"'  (ABI 1.4) registers as the transport "name" at start and accepts every SMS
 * When it starts, it queues an SMS "started <id>" to the number in its configuration (member
 * "number") and reports done only when the host has answered: so a test sees that create, the
 * host table and the asynchronous done all work. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swiftlet_plugin.h"

#ifndef PLUGIN_ID
#define PLUGIN_ID "fixture"
#endif
#ifndef PLUGIN_VERSION
#define PLUGIN_VERSION "1.0.0"
#endif

#ifdef IDENTITY_ID
SWIFTLET_PLUGIN_IDENTITY(IDENTITY_ID, PLUGIN_VERSION);
#endif

#ifdef TOUCH_FILE
__attribute__((constructor)) static void touch_file(void) {
    FILE *file = fopen(TOUCH_FILE, "w");
    if (file) fclose(file);
}
#endif

typedef struct fixture {
    const swiftlet_host_api *api;
    swiftlet_host *host;
    char number[32];
    swiftlet_reply_fn done;
    void *done_context;
} fixture;

static swiftlet_str str(const char *text) {
    swiftlet_str s;
    s.data = text;
    s.size = strlen(text);
    return s;
}

static swiftlet_status create(const swiftlet_host_api *api, swiftlet_host *host, swiftlet_str configuration,
                              void **instance, swiftlet_reply_fn fail, void *fail_context) {
    fixture *self = calloc(1, sizeof *self);
    const char *key = "\"number\":\"";
    const char *found;
    char json[256];
    size_t n = configuration.size < sizeof json - 1 ? configuration.size : sizeof json - 1;
    memcpy(json, configuration.data, n);
    json[n] = '\0';
    found = strstr(json, key);
    if (!found) {
        free(self);
        fail(fail_context, SWIFTLET_ERR_INVALID, str("number: required"));
        return SWIFTLET_ERR_INVALID;
    }
    sscanf(found + strlen(key), "%31[^\"]", self->number);
    self->api = api;
    self->host = host;
    *instance = self;
    return SWIFTLET_OK;
}

static void queued(void *context, swiftlet_status status, swiftlet_str body) {
    fixture *self = context;
    self->done(self->done_context, status, body);
}

static void start(void *instance, swiftlet_reply_fn done, void *done_context) {
    fixture *self = instance;
    char request[128];
#ifdef FAIL_START
    (void)self;
    (void)request;
    done(done_context, SWIFTLET_ERR_UNAVAILABLE, str("the test plugin was told to fail"));
#else
    self->done = done;
    self->done_context = done_context;
#ifdef PROVIDE
    {
        swiftlet_status provided = self->api->register_provider(self->host, SWIFTLET_ROLE_TRANSPORT, str(PROVIDE), str(""));
        if (provided != SWIFTLET_OK) {
            done(done_context, provided, str("cannot register the transport " PROVIDE));
            return;
        }
    }
#endif
    snprintf(request, sizeof request, "{\"to\":[\"%s\"],\"text\":\"started %s\"}", self->number, PLUGIN_ID);
    self->api->send_sms(self->host, str(request), queued, self);
#endif
}

#ifdef SMALL
/* Beyond struct_size: a host that read them anyway would call these, and the test process would abort. */
static void stop(void *instance, uint32_t timeout_ms, swiftlet_reply_fn done, void *done_context) {
    (void)instance, (void)timeout_ms, (void)done, (void)done_context;
    abort();
}

static void destroy(void *instance) {
    (void)instance;
    abort();
}
#else
static void stop(void *instance, uint32_t timeout_ms, swiftlet_reply_fn done, void *done_context) {
    (void)instance;
    (void)timeout_ms;
    done(done_context, SWIFTLET_OK, str(""));
}

static void destroy(void *instance) { free(instance); }
#endif

#ifdef PROVIDE
static void handle_request(void *instance, swiftlet_str kind, swiftlet_str request, swiftlet_reply_fn reply,
                           void *context) {
    (void)instance, (void)kind, (void)request;
    reply(context, SWIFTLET_OK, str("{\"accepted\":true,\"reference\":\"" PLUGIN_ID "\"}"));
}
static swiftlet_plugin descriptor = {
    sizeof(swiftlet_plugin), SWIFTLET_ABI_VERSION_1_4, PLUGIN_ID, PLUGIN_VERSION, create, start, NULL, stop, destroy,
    handle_request,
};
#else
static swiftlet_plugin descriptor = {
    sizeof(swiftlet_plugin), SWIFTLET_ABI_VERSION_1_0, PLUGIN_ID, PLUGIN_VERSION, create, start, NULL, stop, destroy,
};
#endif

const swiftlet_plugin *swiftlet_plugin_entry(uint32_t host_min, uint32_t host_max) {
#ifdef DECLINE
    (void)host_min;
    (void)host_max;
    return NULL;
#else
#ifdef SMALL
    descriptor.struct_size = offsetof(swiftlet_plugin, handle_event);
#endif
#ifdef CHOOSE
    descriptor.abi_version = CHOOSE;
    (void)host_min;
    (void)host_max;
#else
    if (host_min > SWIFTLET_ABI_VERSION_1_0 || host_max < SWIFTLET_ABI_VERSION_1_0) return NULL;
#endif
    return &descriptor;
#endif
}
