#ifndef LOGDASH_CNCURSESW_SHIM_H
#define LOGDASH_CNCURSESW_SHIM_H
// The wide-character API (cchar_t, add_wch, WACS_*) is only declared with these set first.
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <langinfo.h>
#include <ncurses.h>

// Globals and macros Swift 6 cannot import as they are.
static inline WINDOW *logdash_stdscr(void) { return stdscr; }
static inline int logdash_colors(void) { return COLORS; }
static inline int logdash_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t logdash_a_bold(void) { return A_BOLD; }
static inline attr_t logdash_a_reverse(void) { return A_REVERSE; }
static inline attr_t logdash_a_dim(void) { return A_DIM; }
static inline attr_t logdash_a_underline(void) { return A_UNDERLINE; }
static inline const char *logdash_codeset(void) { return nl_langinfo(CODESET); }
// Mouse masks are macros built from other macros. (With BUTTON1_CLICKED in the mask, ncurses
// delivers a press and release read in one go as an event instead of dropping it.)
static inline mmask_t logdash_mouse_mask(void) { return BUTTON1_PRESSED | BUTTON1_RELEASED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED; }
static inline int logdash_mouse_click(mmask_t m) { return (m & BUTTON1_CLICKED) != 0; }
static inline int logdash_mouse_press(mmask_t m) { return (m & BUTTON1_PRESSED) != 0; }
static inline int logdash_mouse_release(mmask_t m) { return (m & BUTTON1_RELEASED) != 0; }
static inline int logdash_mouse_wheel_up(mmask_t m) { return (m & BUTTON4_PRESSED) != 0; }
static inline int logdash_mouse_wheel_down(mmask_t m) { return (m & BUTTON5_PRESSED) != 0; }
#endif
