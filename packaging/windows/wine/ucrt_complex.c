/* Wine-only stand-in for the C99 complex functions of Microsoft's UCRT (ucrtbase.dll).
 *
 * WINE QUIRK: Wine 8.0 (Debian 12) exports crealf, cimagf, cexp, ... from its ucrtbase.dll
 * as unimplemented stubs; numpy 2 calls crealf while it is imported, so under Wine
 * `import numpy` aborts ("unimplemented function ucrtbase.dll.crealf"). Real Windows 10/11
 * has them. build_windows_wine.sh builds this file into a proxy ucrtbase.dll that implements
 * these functions and forwards every other export to Wine's own ucrtbase (copied as
 * ucrtwine.dll); it goes ONLY into the Wine prefixes' system32, never into the kiosk bundle.
 *
 * MSVC's types: _Fcomplex is {float[2]} (8 bytes: passed and returned in a register),
 * _Dcomplex {double[2]} and _Lcomplex {long double[2]} with MSVC's 64-bit long double (16
 * bytes: passed by reference, returned through a hidden pointer). MinGW-w64 follows the same
 * x64 calling convention for structs, so plain C structs match the ABI.
 */
#include <complex.h>

typedef struct { float v[2]; } Fc;
typedef struct { double v[2]; } Dc;  /* also _Lcomplex: MSVC's long double is a double */

static double _Complex dz(Dc z) { return z.v[0] + z.v[1] * I; }
static float _Complex fz(Fc z) { return z.v[0] + z.v[1] * I; }
static Dc dc(double _Complex z) { Dc r = {{creal(z), cimag(z)}}; return r; }
static Fc fc(float _Complex z) { Fc r = {{crealf(z), cimagf(z)}}; return r; }

#define EXPORT __declspec(dllexport)
/* parts and builders */
EXPORT double k_creal(Dc z) { return z.v[0]; }
EXPORT double k_cimag(Dc z) { return z.v[1]; }
EXPORT float k_crealf(Fc z) { return z.v[0]; }
EXPORT float k_cimagf(Fc z) { return z.v[1]; }
EXPORT Dc k__Cbuild(double re, double im) { Dc r = {{re, im}}; return r; }
EXPORT Fc k__FCbuild(float re, float im) { Fc r = {{re, im}}; return r; }
EXPORT Dc k__Cmulcc(Dc a, Dc b) { return dc(dz(a) * dz(b)); }
EXPORT Dc k__Cmulcr(Dc a, double b) { return dc(dz(a) * b); }
EXPORT Fc k__FCmulcc(Fc a, Fc b) { return fc(fz(a) * fz(b)); }
EXPORT Fc k__FCmulcr(Fc a, float b) { return fc(fz(a) * b); }
/* one function, three precisions (the long double one computes in double, like MSVC) */
#define UNARY(name, ret_d, ret_f, conv_d, conv_f)                         \
    EXPORT ret_d k_##name(Dc z) { return conv_d(name(dz(z))); }           \
    EXPORT ret_d k_##name##l(Dc z) { return conv_d(name(dz(z))); }        \
    EXPORT ret_f k_##name##f(Fc z) { return conv_f(name##f(fz(z))); }
#define SAME(x) (x)
UNARY(cabs, double, float, SAME, SAME)
UNARY(carg, double, float, SAME, SAME)
UNARY(cexp, Dc, Fc, dc, fc)
UNARY(csin, Dc, Fc, dc, fc)
UNARY(ccos, Dc, Fc, dc, fc)
UNARY(ctan, Dc, Fc, dc, fc)
UNARY(csinh, Dc, Fc, dc, fc)
UNARY(ccosh, Dc, Fc, dc, fc)
UNARY(ctanh, Dc, Fc, dc, fc)
UNARY(clog, Dc, Fc, dc, fc)
UNARY(csqrt, Dc, Fc, dc, fc)
UNARY(conj, Dc, Fc, dc, fc)
UNARY(cproj, Dc, Fc, dc, fc)
EXPORT double k_creall(Dc z) { return z.v[0]; }
EXPORT double k_cimagl(Dc z) { return z.v[1]; }
EXPORT Dc k_cpow(Dc a, Dc b) { return dc(cpow(dz(a), dz(b))); }
EXPORT Dc k_cpowl(Dc a, Dc b) { return dc(cpow(dz(a), dz(b))); }
EXPORT Fc k_cpowf(Fc a, Fc b) { return fc(cpowf(fz(a), fz(b))); }

/* WINE QUIRK, same cause: feholdexcept and feupdateenv are stubs too (TensorFlow calls them).
 * They are built from Wine's implemented fegetenv/fesetenv/feclearexcept/fetestexcept/
 * feraiseexcept, looked up in Wine's own ucrtbase (ucrtwine.dll) at run time. */
#include <windows.h>
typedef struct { unsigned long ctl, stat; } FeEnv;  /* MSVC's fenv_t */
#define FE_ALL 0x1f
static FARPROC wine_crt(const char *name) { return GetProcAddress(GetModuleHandleA("ucrtwine.dll"), name); }
EXPORT int k_feholdexcept(FeEnv *env) {
    int (*get)(FeEnv *) = (void *)wine_crt("fegetenv");
    int (*clear)(int) = (void *)wine_crt("feclearexcept");
    return get(env) || clear(FE_ALL);  /* MSVC's default environment already masks all traps */
}
EXPORT int k_feupdateenv(const FeEnv *env) {
    int (*test)(int) = (void *)wine_crt("fetestexcept");
    int (*set)(const FeEnv *) = (void *)wine_crt("fesetenv");
    int (*raise)(int) = (void *)wine_crt("feraiseexcept");
    int raised = test(FE_ALL);
    return set(env) || raise(raised);
}
