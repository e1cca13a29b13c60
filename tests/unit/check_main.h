/* check_main.h -- the main() every Check test file has: run one suite, exit
 * non-zero when a test failed. CHECK_MAIN(suite_fn) at the end of the file. */
#ifndef ATELIER_CHECK_MAIN_H
#define ATELIER_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

#define CHECK_MAIN(suite_fn)                                   \
    int main(void) {                                           \
        SRunner *sr = srunner_create(suite_fn());              \
        srunner_run_all(sr, CK_NORMAL);                        \
        int failed = srunner_ntests_failed(sr);                \
        srunner_free(sr);                                      \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;           \
    }

#endif
