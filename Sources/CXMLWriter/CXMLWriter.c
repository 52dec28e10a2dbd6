// libxml2's text writer through dlopen (see the header). The prototypes are copied from libxml2 2.9's
// xmlwriter.h and xmlIO.h (stable ABI since 2.6); its headers are not included, because Debian's include ICU's.
#include "CXMLWriter.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef unsigned char xml_char;
typedef int (*output_write)(void *context, const char *buffer, int length);
typedef int (*output_close)(void *context);

static struct {
    void *handle;
    char error[256];
    void *(*output_buffer_create_io)(output_write, output_close, void *, void *);
    int (*output_buffer_close)(void *);
    void *(*new_text_writer)(void *);
    void (*free_text_writer)(void *);
    int (*set_indent)(void *, int);
    int (*start_document)(void *, const char *, const char *, const char *);
    int (*start_element)(void *, const xml_char *);
    int (*write_attribute)(void *, const xml_char *, const xml_char *);
    int (*write_string)(void *, const xml_char *);
    int (*end_element)(void *);
    int (*end_document)(void *);
    int (*flush)(void *);
} xml;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void) {
    const char *names[] = {"libxml2.so.2", "libxml2.so"};
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !xml.handle; i++) {
        // Lazy binding: libxml2 and the ICU libraries behind it resolve only the calls made (0.5 ms less than RTLD_NOW).
        xml.handle = dlopen(names[i], RTLD_LAZY | RTLD_LOCAL);
    }
    if (!xml.handle) {
        snprintf(xml.error, sizeof xml.error,
                 "libxml2 is not installed (no libxml2.so.2); install it (Debian: apt-get install libxml2)");
        return;
    }
#define LOAD(field, symbol)                                                                                   \
    do {                                                                                                      \
        *(void **)&xml.field = dlsym(xml.handle, symbol);                                                     \
        if (!xml.field) {                                                                                     \
            snprintf(xml.error, sizeof xml.error, "the installed libxml2 lacks %s; install libxml2", symbol); \
            xml.handle = NULL;                                                                                \
            return;                                                                                           \
        }                                                                                                     \
    } while (0)
    LOAD(output_buffer_create_io, "xmlOutputBufferCreateIO");
    LOAD(output_buffer_close, "xmlOutputBufferClose");
    LOAD(new_text_writer, "xmlNewTextWriter");
    LOAD(free_text_writer, "xmlFreeTextWriter");
    LOAD(set_indent, "xmlTextWriterSetIndent");
    LOAD(start_document, "xmlTextWriterStartDocument");
    LOAD(start_element, "xmlTextWriterStartElement");
    LOAD(write_attribute, "xmlTextWriterWriteAttribute");
    LOAD(write_string, "xmlTextWriterWriteString");
    LOAD(end_element, "xmlTextWriterEndElement");
    LOAD(end_document, "xmlTextWriterEndDocument");
    LOAD(flush, "xmlTextWriterFlush");
#undef LOAD
}

struct crossrun_xml_writer {
    void *writer;
    crossrun_xml_sink sink;
    void *context;
};

static int write_through(void *context, const char *buffer, int length) {
    struct crossrun_xml_writer *box = context;
    return box->sink(box->context, buffer, length);
}

static int close_nothing(void *context) {
    (void)context;
    return 0;
}

crossrun_xml_writer *crossrun_xml_open(crossrun_xml_sink sink, void *context, char *error, size_t error_size) {
    pthread_once(&load_once, load);
    if (!xml.handle) {
        snprintf(error, error_size, "%s", xml.error);
        return NULL;
    }
    struct crossrun_xml_writer *box = calloc(1, sizeof *box);
    if (!box) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    box->sink = sink;
    box->context = context;
    void *output = xml.output_buffer_create_io(write_through, close_nothing, box, NULL);
    if (!output) {
        free(box);
        snprintf(error, error_size, "libxml2 could not allocate an output buffer");
        return NULL;
    }
    box->writer = xml.new_text_writer(output);
    if (!box->writer) {
        xml.output_buffer_close(output);
        free(box);
        snprintf(error, error_size, "libxml2 could not start a writer");
        return NULL;
    }
    xml.set_indent(box->writer, 1);
    return box;
}

int crossrun_xml_start_document(crossrun_xml_writer *w) { return xml.start_document(w->writer, "1.0", "UTF-8", NULL); }
int crossrun_xml_start_element(crossrun_xml_writer *w, const char *name) {
    return xml.start_element(w->writer, (const xml_char *)name);
}
int crossrun_xml_attribute(crossrun_xml_writer *w, const char *name, const char *value) {
    return xml.write_attribute(w->writer, (const xml_char *)name, (const xml_char *)value);
}
int crossrun_xml_text(crossrun_xml_writer *w, const char *text) { return xml.write_string(w->writer, (const xml_char *)text); }
int crossrun_xml_end_element(crossrun_xml_writer *w) { return xml.end_element(w->writer); }
int crossrun_xml_end_document(crossrun_xml_writer *w) { return xml.end_document(w->writer); }
int crossrun_xml_flush(crossrun_xml_writer *w) { return xml.flush(w->writer); }

void crossrun_xml_free(crossrun_xml_writer *w) {
    if (!w) return;
    xml.free_text_writer(w->writer);  // flushes into the sink and closes the output buffer
    free(w);
}
