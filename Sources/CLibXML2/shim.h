// Debian builds libxml2 with ICU, and libxml/encoding.h then includes <unicode/ucnv.h>, which clashes with the
// ICU copy inside Swift's Foundation. crossrun never touches libxml2's ICU converter structs, so the ICU part
// of the headers is left out.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <libxml/xmlsave.h>
