/*
 * hello - a Swiftlet plugin in plain C, built from swiftlet_plugin.h alone:
 *
 *   gcc -std=c99 -Wall -Wextra -pedantic -shared -fPIC -I ../../include \
 *       -Wl,--version-script=../../plugin.exports -Wl,-z,nodelete -o libhello.so hello.c
 *
 * It answers every incoming SMS whose first word is PING (any case) with its configured reply,
 * counts the pings it answered in its durable state, and publishes a `hello.pong` event.
 *
 * On a gateway with ABI 1.1 it also provides two rule-engine kinds: the trigger `hello.pong` (rules
 * can fire on its pongs) and the action `hello.say` ({to, text}: it sends that SMS).
 *
 * The JSON handling below is deliberately tiny (it reads the flat, compact objects the gateway
 * sends); a real plugin would use a JSON library such as cJSON or jansson.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swiftlet_plugin.h"

typedef struct hello {
    const swiftlet_host_api *api;
    swiftlet_host *host;
    char reply[512];
} hello;

static swiftlet_str str(const char *text) {
    swiftlet_str s;
    s.data = text;
    s.size = strlen(text);
    return s;
}

/* Copies the string member `name` of a flat JSON object into `out`; returns 0 if it is absent. */
static int json_string(swiftlet_str json, const char *name, char *out, size_t size) {
    char key[64];
    const char *p;
    const char *end = json.data + json.size;
    size_t n = 0;
    snprintf(key, sizeof key, "\"%s\":\"", name);
    for (p = json.data; p && p + strlen(key) <= end; p++) {
        if (memcmp(p, key, strlen(key)) == 0) break;
    }
    if (!p || p + strlen(key) > end) return 0;
    for (p += strlen(key); p < end && *p != '"' && n + 1 < size; p++) {
        if (*p == '\\' && p + 1 < end) {
            p++;
            out[n++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return 1;
}

/* Writes `text` as a JSON string body (without the quotes) into `out`. */
static void json_escape(const char *text, char *out, size_t size) {
    size_t n = 0;
    for (; *text && n + 7 < size; text++) {
        unsigned char c = (unsigned char)*text;
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c < 0x20) {
            n += (size_t)snprintf(out + n, size - n, "\\u%04x", c);
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
}

static void log_text(hello *self, int32_t level, const char *text) {
    self->api->log(self->host, level, str(text));
}

/* Replies to send_sms: log what happened. */
static void sent(void *context, swiftlet_status status, swiftlet_str body) {
    hello *self = context;
    char line[600];
    snprintf(line, sizeof line, "%s: %.*s", status == SWIFTLET_OK ? "pong queued" : "cannot send the pong",
             (int)body.size, body.data ? body.data : "");
    log_text(self, status == SWIFTLET_OK ? SWIFTLET_LOG_INFO : SWIFTLET_LOG_ERROR, line);
}

/* The counter: read it, then write it back plus one. */
static void counted(void *context, swiftlet_status status, swiftlet_str body) {
    (void)context;
    (void)status;
    (void)body;
}

static void count_read(void *context, swiftlet_status status, swiftlet_str body) {
    hello *self = context;
    char value[32];
    long count = 0;
    if (status == SWIFTLET_OK && body.size < sizeof value) {
        memcpy(value, body.data, body.size);
        value[body.size] = '\0';
        count = strtol(value, NULL, 10);
    }
    snprintf(value, sizeof value, "%ld", count + 1);
    self->api->state_put(self->host, str("pings"), str(value), counted, self);
}

static swiftlet_status hello_create(const swiftlet_host_api *api, swiftlet_host *host, swiftlet_str configuration,
                                    void **instance, swiftlet_reply_fn fail, void *fail_context) {
    hello *self;
    if (api->struct_size < offsetof(swiftlet_host_api, timer_cancel) + sizeof api->timer_cancel) {
        fail(fail_context, SWIFTLET_ERR_UNSUPPORTED, str("this gateway's host table is older than hello needs"));
        return SWIFTLET_ERR_UNSUPPORTED;
    }
    self = calloc(1, sizeof *self);
    if (!self) {
        fail(fail_context, SWIFTLET_ERR_INTERNAL, str("out of memory"));
        return SWIFTLET_ERR_INTERNAL;
    }
    self->api = api;
    self->host = host;
    if (!json_string(configuration, "reply", self->reply, sizeof self->reply)) strcpy(self->reply, "PONG");
    *instance = self;
    return SWIFTLET_OK;
}

/* The schema of hello.say's parameters, checked by the gateway when a rule uses it. */
static const char say_schema[] =
    "{\"type\":\"object\",\"required\":[\"to\",\"text\"],\"additionalProperties\":false,"
    "\"properties\":{\"to\":{\"type\":\"string\",\"minLength\":1},"
    "\"text\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":1530}}}";

static void hello_start(void *instance, swiftlet_reply_fn done, void *done_context) {
    hello *self = instance;
    swiftlet_status status = self->api->subscribe(self->host, str("sms.incoming"));
    /* ABI 1.1: only if the host's table reaches register_rule_kind. */
    if (status == SWIFTLET_OK && self->api->abi_version >= SWIFTLET_ABI_VERSION_1_1 &&
        self->api->struct_size >= offsetof(swiftlet_host_api, register_rule_kind) + sizeof self->api->register_rule_kind) {
        if (self->api->register_rule_kind(self->host, str("hello.pong"), SWIFTLET_RULE_TRIGGER, str("")) != SWIFTLET_OK ||
            self->api->register_rule_kind(self->host, str("hello.say"), SWIFTLET_RULE_ACTION, str(say_schema)) !=
                SWIFTLET_OK) {
            log_text(self, SWIFTLET_LOG_WARNING, "cannot register the rule kinds hello.pong and hello.say");
        }
    }
    log_text(self, SWIFTLET_LOG_INFO, "hello from C: answering PING");
    done(done_context, status, str(status == SWIFTLET_OK ? "" : "cannot subscribe to sms.incoming"));
}

/* The action hello.say: {"event": {...}, "parameters": {"text": "...", "to": "..."}, "rule": "..."}. */
static void hello_say(hello *self, swiftlet_str event) {
    char to[64], text[1600], to_json[400], text_json[3300], request[3800];
    const char *key = "\"parameters\":";
    const char *p = event.data;
    const char *end = event.data + event.size;
    swiftlet_str parameters;
    for (; p + strlen(key) <= end && memcmp(p, key, strlen(key)) != 0; p++) {
    }
    if (p + strlen(key) > end) return;
    parameters.data = p;
    parameters.size = (size_t)(end - p);
    if (!json_string(parameters, "to", to, sizeof to) || !json_string(parameters, "text", text, sizeof text)) return;
    json_escape(to, to_json, sizeof to_json);
    json_escape(text, text_json, sizeof text_json);
    snprintf(request, sizeof request, "{\"to\":[\"%s\"],\"text\":\"%s\"}", to_json, text_json);
    self->api->send_sms(self->host, str(request), sent, self);
}

static void hello_event(void *instance, swiftlet_str kind, swiftlet_str event) {
    hello *self = instance;
    char from[64], from_json[400], text[32], reply[1100], request[1600];
    size_t i;
    if (kind.size == 9 && memcmp(kind.data, "hello.say", 9) == 0) {
        hello_say(self, event);
        return;
    }
    if (!json_string(event, "from", from, sizeof from) || !json_string(event, "text", text, sizeof text)) return;
    for (i = 0; text[i] && !isspace((unsigned char)text[i]); i++) text[i] = (char)toupper((unsigned char)text[i]);
    text[i] = '\0';
    if (strcmp(text, "PING") != 0) return;
    json_escape(from, from_json, sizeof from_json);
    json_escape(self->reply, reply, sizeof reply);
    snprintf(request, sizeof request, "{\"to\":[\"%s\"],\"text\":\"%s\"}", from_json, reply);
    self->api->send_sms(self->host, str(request), sent, self);
    self->api->state_get(self->host, str("pings"), count_read, self);
    self->api->publish(self->host, str("hello.pong"), str("{\"answered\":true}"));
}

static void hello_stop(void *instance, uint32_t timeout_ms, swiftlet_reply_fn done, void *done_context) {
    (void)instance;
    (void)timeout_ms;
    done(done_context, SWIFTLET_OK, str(""));
}

static void hello_destroy(void *instance) { free(instance); }

/* Who this library is, readable before it is loaded (ABI 1.3 hosts check it against the manifest). */
SWIFTLET_PLUGIN_IDENTITY("hello", "1.1.0");

/* One descriptor per ABI version spoken: 1.1 where the host offers it, else 1.0. Designated
 * initialisers: members a newer header adds at the end are NULL without a warning. */
static const swiftlet_plugin descriptor_1_1 = {
    .struct_size = sizeof(swiftlet_plugin), .abi_version = SWIFTLET_ABI_VERSION_1_1, .id = "hello", .version = "1.1.0",
    .create = hello_create, .start = hello_start, .handle_event = hello_event, .stop = hello_stop,
    .destroy = hello_destroy,
};
static const swiftlet_plugin descriptor_1_0 = {
    .struct_size = sizeof(swiftlet_plugin), .abi_version = SWIFTLET_ABI_VERSION_1_0, .id = "hello", .version = "1.1.0",
    .create = hello_create, .start = hello_start, .handle_event = hello_event, .stop = hello_stop,
    .destroy = hello_destroy,
};

const swiftlet_plugin *swiftlet_plugin_entry(uint32_t host_min, uint32_t host_max) {
    if (host_min <= SWIFTLET_ABI_VERSION_1_1 && SWIFTLET_ABI_VERSION_1_1 <= host_max) return &descriptor_1_1;
    if (host_min <= SWIFTLET_ABI_VERSION_1_0 && SWIFTLET_ABI_VERSION_1_0 <= host_max) return &descriptor_1_0;
    return NULL;
}
