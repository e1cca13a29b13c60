/* store_functions.h -- the Redis Functions library that makes each change to
 * a workshop atomic. Loaded with FUNCTION LOAD REPLACE on every connect;
 * Redis keeps it across restarts (it is in the AOF/RDB). */
#ifndef ATELIER_STORE_FUNCTIONS_H
#define ATELIER_STORE_FUNCTIONS_H

extern const char store_functions_lua[];

#endif
