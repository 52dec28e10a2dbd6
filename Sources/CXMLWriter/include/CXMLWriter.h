#ifndef CROSSRUN_CXMLWRITER_H
#define CROSSRUN_CXMLWRITER_H

#include <stddef.h>

/// libxml2's xmlTextWriter, loaded with dlopen when the first report is written: a run that writes no JUnit
/// (`crossrun --version`, `--list`, reports off) does not load libxml2 and the ICU libraries Debian builds it
/// with. Only the handful of calls the JUnit writer makes go through here; the prototypes are libxml2's own.

/// Receives the document's bytes as libxml2 produces them; returns `count`, or -1 to fail the write.
typedef int (*crossrun_xml_sink)(void *context, const char *bytes, int count);

typedef struct crossrun_xml_writer crossrun_xml_writer;

/// A writer that streams its document to `sink`, or NULL with a one-line reason in `error` (libxml2 missing,
/// out of memory).
crossrun_xml_writer *crossrun_xml_open(crossrun_xml_sink sink, void *context, char *error, size_t error_size);
/// Each returns libxml2's result: negative on failure.
int crossrun_xml_start_document(crossrun_xml_writer *writer);
int crossrun_xml_start_element(crossrun_xml_writer *writer, const char *name);
int crossrun_xml_attribute(crossrun_xml_writer *writer, const char *name, const char *value);
int crossrun_xml_text(crossrun_xml_writer *writer, const char *text);
int crossrun_xml_end_element(crossrun_xml_writer *writer);
int crossrun_xml_end_document(crossrun_xml_writer *writer);
int crossrun_xml_flush(crossrun_xml_writer *writer);
/// Frees the writer, which flushes the rest of the document into the sink.
void crossrun_xml_free(crossrun_xml_writer *writer);

#endif
