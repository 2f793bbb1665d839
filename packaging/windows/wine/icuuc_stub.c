/* Wine-only stand-in for Windows' system ICU (C:\Windows\System32\icuuc.dll).
 *
 * WINE QUIRK: Qt 6's Qt6Core.dll (PySide6 6.11) imports 20 ucnv_* functions from the ICU that
 * Windows 10 1903+ ships in System32; Wine has no icuuc.dll, so Qt6Core does not even load.
 * Qt uses them only for text codecs other than UTF-8/16/32 and Latin-1 (QStringConverter by
 * name), which the kiosk never asks for. This stub says "no such converter" to every request.
 * build_windows_wine.sh puts it ONLY into the Wine prefixes' system32, never into the bundle.
 */
#include <stddef.h>

#define EXPORT __declspec(dllexport)
typedef int UErrorCode;
enum { U_FILE_ACCESS_ERROR = 4, U_UNSUPPORTED_ERROR = 16 };
static void fail(UErrorCode *err, UErrorCode code) { if (err && *err <= 0) *err = code; }

EXPORT void *ucnv_open(const char *name, UErrorCode *err) { (void)name; fail(err, U_FILE_ACCESS_ERROR); return NULL; }
EXPORT void ucnv_close(void *cnv) { (void)cnv; }
EXPORT void ucnv_reset(void *cnv) { (void)cnv; }
EXPORT int ucnv_countAvailable(void) { return 0; }
EXPORT const char *ucnv_getAvailableName(int n) { (void)n; return NULL; }
EXPORT const char *ucnv_getStandardName(const char *name, const char *standard, UErrorCode *err) {
    (void)name; (void)standard; fail(err, U_UNSUPPORTED_ERROR); return NULL; }
EXPORT const char *ucnv_getName(const void *cnv, UErrorCode *err) { (void)cnv; fail(err, U_UNSUPPORTED_ERROR); return NULL; }
EXPORT signed char ucnv_getMaxCharSize(const void *cnv) { (void)cnv; return 1; }
/* never reached without a converter; each fails politely if it is */
#define FAILS(name) EXPORT int name(void *a, ...) { (void)a; return 0; }
FAILS(ucnv_getToUCallBack) FAILS(ucnv_getFromUCallBack) FAILS(ucnv_setToUCallBack)
FAILS(ucnv_setFromUCallBack) FAILS(ucnv_cbToUWriteUChars) FAILS(ucnv_cbFromUWriteUChars)
FAILS(ucnv_toUnicode) FAILS(ucnv_fromUnicode) FAILS(ucnv_toUCountPending)
FAILS(ucnv_fromUCountPending) FAILS(UCNV_FROM_U_CALLBACK_SUBSTITUTE) FAILS(UCNV_TO_U_CALLBACK_SUBSTITUTE)
