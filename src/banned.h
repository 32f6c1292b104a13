/* SPDX-License-Identifier: MIT
 * banned.h: functions we never call, made compile errors (as git's banned.h).
 * Include it last in every .c file. */
#ifndef POSTDESK_BANNED_H
#define POSTDESK_BANNED_H
#define BANNED(func) sorry_##func##_is_banned_in_postdesk
#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gets
#define gets(x) BANNED(gets)
#endif
