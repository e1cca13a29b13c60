/* Static files: the web root's guard. lws serves files under "/" with the
 * platform's open(), which follows symbolic links wherever they point; a
 * link in the web root to /etc would serve /etc. Here a file is opened only
 * when its real path (every link resolved) lies inside the web root's; else
 * it is not there (404).
 *
 * lws hands the file operations nothing of ours, so the root and the open()
 * they wrap are this file's, set once per process by net_static_guard. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_internal.h"

static char root[PATH_MAX];   /* the web root's real path */
static size_t root_len;
static lws_fop_fd_t (*platform_open)(const struct lws_plat_file_ops *fops, const char *filename, const char *vpath,
                                     lws_fop_flags_t *flags);

static bool inside_root(const char *filename) {
    char real[PATH_MAX];
    if (!root[0] || !realpath(filename, real)) return false;
    return strncmp(real, root, root_len) == 0 && (real[root_len] == '/' || real[root_len] == '\0');
}

static lws_fop_fd_t guarded_open(const struct lws_plat_file_ops *fops, const char *filename, const char *vpath,
                                 lws_fop_flags_t *flags) {
    if (!inside_root(filename)) {
        lwsl_info("not serving %s: outside the web root\n", filename);
        return NULL;
    }
    return platform_open(fops, filename, vpath, flags);
}

void net_static_guard(struct lws_context *ctx, const char *web_root) {
    struct lws_plat_file_ops *fops = lws_get_fops(ctx);
    if (!realpath(web_root, root)) {
        lwsl_warn("the web root %s cannot be resolved: no file will be served\n", web_root);
        root[0] = '\0';
    }
    root_len = strlen(root);
    if (root_len == 1) root_len = 0; /* "/": every path is inside */
    if (fops->LWS_FOP_OPEN != guarded_open) platform_open = fops->LWS_FOP_OPEN;
    fops->LWS_FOP_OPEN = guarded_open;
}
