/* SPDX-License-Identifier: MIT */

/* lib/notify against a test-owned NOTIFY_SOCKET: an AF_UNIX datagram socket in a temporary
 * directory. The exact datagrams are checked, and that sd-event's watchdog sends WATCHDOG=1 while
 * the loop runs (bounded: the loop stops after two pings or fails after 5 s). */

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <cmocka.h>

#include "lib/macro.h"
#include "lib/notify.h"

static char dir[] = "/tmp/test-notify-XXXXXX";
static char path[96];
static int sock = -EBADF;

static int setup(void **state) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/notify", dir);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(sock >= 0);
        assert_int_equal(bind(sock, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);
        return 0;
}

static int teardown(void **state) {
        close(sock);
        unlink(path);
        rmdir(dir);
        unsetenv("NOTIFY_SOCKET");
        return 0;
}

/* The next datagram, or "" if none is queued. sd_notify() sends synchronously, so whatever it
 * sent is already queued when it returns. */
static const char *recv_datagram(void) {
        static char buf[4096];
        ssize_t n = recv(sock, buf, sizeof(buf) - 1, MSG_DONTWAIT);

        if (n < 0) {
                assert_int_equal(errno, EAGAIN);
                n = 0;
        }
        buf[n] = 0;
        return buf;
}

static uint64_t now_usec(void) {
        struct timespec ts;
        assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static void test_messages(void **state) {
        assert_true(notify_ready() > 0);
        assert_string_equal(recv_datagram(), "READY=1");

        assert_true(notify_status("%u resources: %u in sync", 3u, 3u) > 0);
        assert_string_equal(recv_datagram(), "STATUS=3 resources: 3 in sync");

        /* A line feed must not start a new assignment. */
        assert_true(notify_status("bad\nREADY=1\t%s", "x") > 0);
        assert_string_equal(recv_datagram(), "STATUS=bad READY=1 x");

        assert_true(notify_stopping() > 0);
        assert_string_equal(recv_datagram(), "STOPPING=1");
        assert_string_equal(recv_datagram(), "");
}

static void test_reloading(void **state) {
        uint64_t before = now_usec(), stamp;
        char *end;

        assert_true(notify_reloading() > 0);
        uint64_t after = now_usec();
        const char *d = recv_datagram();

        assert_true(startswith(d, "RELOADING=1\nMONOTONIC_USEC="));
        d += strlen("RELOADING=1\nMONOTONIC_USEC=");
        assert_true(*d >= '1' && *d <= '9');
        stamp = strtoull(d, &end, 10);
        assert_int_equal(*end, 0);
        assert_true(stamp >= before && stamp <= after);
}

static void test_no_socket(void **state) {
        unsetenv("NOTIFY_SOCKET");
        assert_int_equal(notify_ready(), 0);
        assert_int_equal(notify_reloading(), 0);
        assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);
        assert_string_equal(recv_datagram(), "");
}

typedef struct Watch {
        unsigned pings;
        unsigned other;
        bool timed_out;
} Watch;

static int on_datagram(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Watch *w = userdata;
        const char *d = recv_datagram();

        if (streq(d, "WATCHDOG=1"))
                w->pings++;
        else if (d[0])
                w->other++;
        if (w->pings >= 2)
                return sd_event_exit(sd_event_source_get_event(s), 0);
        return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        Watch *w = userdata;

        w->timed_out = true;
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void test_watchdog(void **state) {
        sd_event *e = NULL;
        sd_event_source *io = NULL, *deadline = NULL;
        Watch w = {};
        char pid[32];

        /* Not ours: no watchdog. */
        assert_int_equal(setenv("WATCHDOG_USEC", "100000", 1), 0);
        assert_int_equal(setenv("WATCHDOG_PID", "1", 1), 0);
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(notify_watchdog_enable(e), 0);
        e = sd_event_unref(e);

        snprintf(pid, sizeof(pid), "%d", (int) getpid());
        assert_int_equal(setenv("WATCHDOG_PID", pid, 1), 0);
        assert_int_equal(sd_event_new(&e), 0);
        assert_true(notify_watchdog_enable(e) > 0);
        while (recv_datagram()[0]) /* whatever enabling sent; the loop must send more */
                ;
        assert_int_equal(sd_event_add_io(e, &io, sock, EPOLLIN, on_datagram, &w), 0);
        assert_int_equal(sd_event_add_time_relative(e, &deadline, CLOCK_MONOTONIC, 5000000, 0,
                                                    on_deadline, &w),
                         0);
        assert_int_equal(sd_event_loop(e), 0);

        assert_false(w.timed_out);
        assert_int_equal(w.pings, 2);
        assert_int_equal(w.other, 0);

        sd_event_source_unref(io);
        sd_event_source_unref(deadline);
        sd_event_unref(e);
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
        assert_int_equal(notify_watchdog_enable(NULL), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_messages),
                cmocka_unit_test(test_reloading),
                cmocka_unit_test(test_no_socket),
                cmocka_unit_test(test_watchdog),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
