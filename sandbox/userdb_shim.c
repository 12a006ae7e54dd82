/*
 * userdb_shim: an LD_PRELOAD library that rewrites two kinds of user-database answers.
 *
 * ssh, sshd and git find an account's home and login names through getpwnam/getpwuid, not
 * $HOME. The sandbox needs:
 *
 *  (a) SANDBOX_PW_HOME=/some/dir: the entry of the calling process's own uid (getuid()) comes
 *      back with pw_dir = /some/dir, so the real ssh reads /some/dir/.ssh/config and
 *      known_hosts, and Python's pwd module agrees.
 *  (b) SANDBOX_KEYID_ACCOUNT=account: a lookup by a name starting with "APKA" (a CodeCommit SSH
 *      key id) returns that account's entry with pw_name = the requested name, so sshd accepts
 *      any key id as a login name; the AuthorizedKeysCommand decides which key ids are valid.
 *      Such entries also get pw_passwd "*" (never "locked", which sshd refuses with UsePAM no)
 *      and pw_shell /bin/sh (sshd runs the forced command with it; a service account's
 *      nologin shell would refuse).
 *
 * Without either variable every call goes straight to libc.
 * The non-reentrant functions use per-thread static storage; the _r functions copy into the
 * caller's buffer and return ERANGE when it is too small, as libc does.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

typedef int (*pwnam_r_fn)(const char *, struct passwd *, char *, size_t, struct passwd **);
typedef int (*pwuid_r_fn)(uid_t, struct passwd *, char *, size_t, struct passwd **);
typedef struct passwd *(*pwnam_fn)(const char *);
typedef struct passwd *(*pwuid_fn)(uid_t);

static void *next(const char *symbol) { return dlsym(RTLD_NEXT, symbol); }

static const char *home_override(uid_t uid)
{
    const char *home = getenv("SANDBOX_PW_HOME");
    return (home && *home && uid == getuid()) ? home : NULL;
}

static const char *keyid_account(const char *name)
{
    const char *account = getenv("SANDBOX_KEYID_ACCOUNT");
    if (account && *account && name && strncmp(name, "APKA", 4) == 0)
        return account;
    return NULL;
}

static int active(void)
{
    const char *home = getenv("SANDBOX_PW_HOME");
    const char *account = getenv("SANDBOX_KEYID_ACCOUNT");
    return (home && *home) || (account && *account);
}

/* The real lookup into a malloc'd scratch buffer (grown on ERANGE); caller frees *scratch. */
static int real_lookup(const char *name, uid_t uid, struct passwd *out, char **scratch,
                       struct passwd **found)
{
    pwnam_r_fn by_name = (pwnam_r_fn)next("getpwnam_r");
    pwuid_r_fn by_uid = (pwuid_r_fn)next("getpwuid_r");
    size_t size = 1024;
    *scratch = NULL;
    *found = NULL;
    for (;;) {
        char *buf = malloc(size);
        if (buf == NULL)
            return ENOMEM;
        int rc = name ? by_name(name, out, buf, size, found) : by_uid(uid, out, buf, size, found);
        if (rc == ERANGE && size < (1u << 20)) {
            free(buf);
            size *= 2;
            continue;
        }
        if (rc != 0 || *found == NULL) {
            free(buf);
            *found = NULL;
            return rc;
        }
        *scratch = buf;
        return 0;
    }
}

struct fields {
    const char *name, *passwd, *dir, *shell;
};

/* Copy src into dst/buf with the given fields replaced. */
static int pack(const struct passwd *src, const struct fields *f, struct passwd *dst, char *buf,
                size_t buflen)
{
    const char *values[5] = {f->name, f->passwd, src->pw_gecos, f->dir, f->shell};
    char **slots[5] = {&dst->pw_name, &dst->pw_passwd, &dst->pw_gecos, &dst->pw_dir,
                       &dst->pw_shell};
    size_t used = 0;
    for (int i = 0; i < 5; i++) {
        const char *value = values[i] ? values[i] : "";
        size_t n = strlen(value) + 1;
        if (n > buflen - used)
            return ERANGE;
        memcpy(buf + used, value, n);
        *slots[i] = buf + used;
        used += n;
    }
    dst->pw_uid = src->pw_uid;
    dst->pw_gid = src->pw_gid;
    return 0;
}

/* The shared body of getpwnam_r and getpwuid_r (name == NULL means look up by uid). */
static int lookup_r(const char *name, uid_t uid, struct passwd *pwd, char *buf, size_t buflen,
                    struct passwd **result)
{
    const char *account = keyid_account(name);
    struct passwd entry;
    char *scratch;
    struct passwd *found;
    int rc = real_lookup(account ? account : name, uid, &entry, &scratch, &found);
    *result = NULL;
    if (rc != 0 || found == NULL)
        return rc;
    const char *dir = home_override(entry.pw_uid);
    struct fields f = {entry.pw_name, entry.pw_passwd, dir ? dir : entry.pw_dir, entry.pw_shell};
    if (account) {
        f.name = name;
        f.passwd = "*";
        f.shell = "/bin/sh";
    }
    rc = pack(&entry, &f, pwd, buf, buflen);
    free(scratch);
    if (rc == 0)
        *result = pwd;
    return rc;
}

int getpwnam_r(const char *name, struct passwd *pwd, char *buf, size_t buflen,
               struct passwd **result)
{
    if (!active())
        return ((pwnam_r_fn)next("getpwnam_r"))(name, pwd, buf, buflen, result);
    return lookup_r(name, 0, pwd, buf, buflen, result);
}

int getpwuid_r(uid_t uid, struct passwd *pwd, char *buf, size_t buflen, struct passwd **result)
{
    if (!active())
        return ((pwuid_r_fn)next("getpwuid_r"))(uid, pwd, buf, buflen, result);
    return lookup_r(NULL, uid, pwd, buf, buflen, result);
}

static __thread struct passwd static_entry;
static __thread char *static_buf;
static __thread size_t static_size;

/* getpwnam/getpwuid on top of lookup_r with a per-thread buffer that grows as needed. */
static struct passwd *lookup_static(const char *name, uid_t uid)
{
    struct passwd *result = NULL;
    if (static_buf == NULL) {
        static_size = 1024;
        static_buf = malloc(static_size);
        if (static_buf == NULL) {
            errno = ENOMEM;
            return NULL;
        }
    }
    for (;;) {
        int rc = lookup_r(name, uid, &static_entry, static_buf, static_size, &result);
        if (rc == ERANGE && static_size < (1u << 20)) {
            char *bigger = realloc(static_buf, static_size * 2);
            if (bigger == NULL) {
                errno = ENOMEM;
                return NULL;
            }
            static_buf = bigger;
            static_size *= 2;
            continue;
        }
        if (rc != 0)
            errno = rc;
        return result;
    }
}

struct passwd *getpwnam(const char *name)
{
    if (!active())
        return ((pwnam_fn)next("getpwnam"))(name);
    return lookup_static(name, 0);
}

struct passwd *getpwuid(uid_t uid)
{
    if (!active())
        return ((pwuid_fn)next("getpwuid"))(uid);
    return lookup_static(NULL, uid);
}
