/*
 * GMime (libgmime-3.0-dev) for Swift: the library's header, and the few things Swift cannot call
 * directly (GObject's type-check macros, g_object_unref through an opaque pointer) as inline functions.
 */
#include <gmime/gmime.h>

/* One part of a message as swiftlet_mime_walk reports it. */
typedef struct swiftlet_mime_part {
    const char *mime_type;      /* "text/plain", lower case */
    const char *disposition;    /* "attachment", "inline" or NULL */
    const char *filename;       /* or NULL */
    const char *text;           /* a text part's content converted to UTF-8 (from its charset), else NULL */
    const unsigned char *bytes; /* a part's content with its transfer encoding undone */
    size_t size;
} swiftlet_mime_part;

typedef void (*swiftlet_mime_part_fn)(void *context, const swiftlet_mime_part *part);

typedef struct swiftlet_mime_walk_state {
    swiftlet_mime_part_fn each;
    void *context;
} swiftlet_mime_walk_state;

static inline void swiftlet_mime_visit(GMimeObject *parent, GMimeObject *object, gpointer data) {
    (void)parent;
    if (!GMIME_IS_PART(object)) return;
    swiftlet_mime_walk_state *state = (swiftlet_mime_walk_state *)data;
    GMimePart *part = (GMimePart *)object;
    swiftlet_mime_part out = {0};
    GMimeContentType *type = g_mime_object_get_content_type(object);
    char *mime_type = type ? g_mime_content_type_get_mime_type(type) : g_strdup("text/plain");
    char *lower = g_ascii_strdown(mime_type, -1);
    out.mime_type = lower;
    out.disposition = g_mime_object_get_disposition(object);
    out.filename = g_mime_part_get_filename(part);
    char *text = NULL;
    if (GMIME_IS_TEXT_PART(object)) {
        text = g_mime_text_part_get_text((GMimeTextPart *)object);
        out.text = text;
    }
    GByteArray *array = NULL;
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    if (content) {
        GMimeStream *stream = g_mime_stream_mem_new();
        g_mime_data_wrapper_write_to_stream(content, stream);
        array = g_mime_stream_mem_get_byte_array((GMimeStreamMem *)stream);
        out.bytes = array ? array->data : NULL;
        out.size = array ? array->len : 0;
        state->each(state->context, &out);
        g_object_unref(stream);
    } else {
        state->each(state->context, &out);
    }
    g_free(text);
    g_free(lower);
    g_free(mime_type);
}

/* Parses a message (RFC 5322 with MIME) from memory; NULL if it is not one. Free with swiftlet_mime_free. */
static inline GMimeMessage *swiftlet_mime_parse(const char *data, size_t size) {
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, size);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_object_unref(stream);
    GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    return message;
}

static inline void swiftlet_mime_free(GMimeMessage *message) { g_object_unref(message); }

/* Calls `each` for every leaf part, in order (attached messages included). */
static inline void swiftlet_mime_walk(GMimeMessage *message, swiftlet_mime_part_fn each, void *context) {
    swiftlet_mime_walk_state state = {each, context};
    g_mime_message_foreach(message, swiftlet_mime_visit, &state);
}

/* The first mailbox address of an address list (From, Reply-To), or NULL. */
static inline const char *swiftlet_mime_first_address(InternetAddressList *list) {
    if (!list) return NULL;
    for (int i = 0; i < internet_address_list_length(list); i++) {
        InternetAddress *address = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(address)) return internet_address_mailbox_get_addr((InternetAddressMailbox *)address);
    }
    return NULL;
}
