#pragma once

/*
 * The virtual terminal under the shell: graphics mode and keyboard off while the shell draws,
 * text mode and the old keyboard mode back when it exits - also when it crashes (a fatal-signal
 * handler) - so the person never faces a dead screen.
 */

/* Takes over `path` (NULL: the VT on stdin, else the active one). 0 or a negative errno. */
int shell_vt_take(const char *path);

/* Puts the VT back; async-signal-safe, idempotent. */
void shell_vt_restore(void);

/* Installs handlers for fatal signals (SEGV, BUS, ILL, FPE, ABRT) that restore, then re-raise. */
void shell_vt_install_crash_handlers(void);
