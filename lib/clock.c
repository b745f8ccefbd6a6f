/* SPDX-License-Identifier: MIT */
#include <time.h>

#include "lib/clock.h"
#include "lib/log.h"

/* A fake clock gives up after this many handler runs in one advance: a queue that re-arms its
 * timer for "now" forever fails its test with -ELOOP instead of hanging it. */
#define CLOCK_FAKE_MAX_FIRES 10000000u

/* Real timers are allowed 1 ms of slack: enough for the kernel to coalesce, small against the
 * 100 ms backoff floor. */
#define CLOCK_TIMER_ACCURACY_USEC USEC_PER_MSEC

struct Clock {
        sd_event *event;    /* NULL: a fake clock */
        usec_t now;         /* fake only */
        ClockTimer *timers; /* fake only: every timer, armed or not */
        uint64_t arm_seq;   /* fake only: orders timers armed for the same time */
};

struct ClockTimer {
        Clock *clock;
        clock_timer_handler_t handler;
        void *userdata;
        usec_t when; /* USEC_INFINITY: disarmed */
        uint64_t seq;
        sd_event_source *source; /* real only */
        sd_event_source *defer;  /* real only: fires a timer armed for now or the past */
        ClockTimer *next, *prev; /* fake only */
};

int clock_new_event(sd_event *event, Clock **ret) {
        Clock *c = calloc(1, sizeof(Clock));

        if (!c)
                return -ENOMEM;
        c->event = sd_event_ref(event);
        *ret = c;
        return 0;
}

int clock_new_fake(usec_t start, Clock **ret) {
        Clock *c = calloc(1, sizeof(Clock));

        if (!c)
                return -ENOMEM;
        c->now = start;
        *ret = c;
        return 0;
}

Clock *clock_free(Clock *clock) {
        if (!clock)
                return NULL;
        sd_event_unref(clock->event);
        free(clock);
        return NULL;
}

usec_t clock_now(Clock *clock) {
        struct timespec ts;
        uint64_t t;

        if (!clock->event)
                return clock->now;
        /* The loop's cached time of this iteration, so one handler sees one "now". */
        if (sd_event_now(clock->event, CLOCK_MONOTONIC, &t) >= 0)
                return t;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

usec_t clock_now_realtime(Clock *clock) {
        return clock->event ? now(CLOCK_REALTIME) : clock->now;
}

static int clock_timer_dispatch(ClockTimer *timer, usec_t now) {
        int r;

        timer->when = USEC_INFINITY;
        r = timer->handler(timer, now, timer->userdata);
        if (r < 0)
                log_debug_errno(r, "Clock timer handler failed, ignoring: %m");
        return 0;
}

static int clock_timer_on_defer(sd_event_source *s, void *userdata) {
        ClockTimer *timer = userdata;

        return clock_timer_dispatch(timer, clock_now(timer->clock));
}

/* A due time source fires the same way: the time it was due for does not matter. */
static int clock_timer_on_event(sd_event_source *s, uint64_t usec, void *userdata) {
        return clock_timer_on_defer(s, userdata);
}

/* The timer's two sources, both off: a time source, and a defer source for "now". */
static int clock_timer_add_sources(ClockTimer *t) {
        int r;

        r = sd_event_add_time(t->clock->event, &t->source, CLOCK_MONOTONIC, 0,
                              CLOCK_TIMER_ACCURACY_USEC, clock_timer_on_event, t);
        if (r >= 0)
                r = sd_event_source_set_enabled(t->source, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_defer(t->clock->event, &t->defer, clock_timer_on_defer, t);
        if (r >= 0)
                r = sd_event_source_set_enabled(t->defer, SD_EVENT_OFF);
        if (r < 0) {
                t->source = sd_event_source_disable_unref(t->source);
                t->defer = sd_event_source_disable_unref(t->defer);
        }
        return r;
}

int clock_timer_new(Clock *clock, clock_timer_handler_t handler, void *userdata, ClockTimer **ret) {
        _cleanup_free_ ClockTimer *t = calloc(1, sizeof(ClockTimer));
        int r;

        if (!t)
                return -ENOMEM;
        *t = (ClockTimer){
                .clock = clock, .handler = handler, .userdata = userdata, .when = USEC_INFINITY
        };
        if (clock->event) {
                r = clock_timer_add_sources(t);
                if (r < 0)
                        return r;
        } else {
                t->next = clock->timers;
                if (clock->timers)
                        clock->timers->prev = t;
                clock->timers = t;
        }
        *ret = TAKE_PTR(t);
        return 0;
}

ClockTimer *clock_timer_free(ClockTimer *timer) {
        if (!timer)
                return NULL;
        if (timer->source)
                sd_event_source_disable_unref(timer->source);
        sd_event_source_disable_unref(timer->defer);
        if (timer->prev)
                timer->prev->next = timer->next;
        else if (!timer->clock->event)
                timer->clock->timers = timer->next;
        if (timer->next)
                timer->next->prev = timer->prev;
        free(timer);
        return NULL;
}

/* A timer due already fires from its defer source. A work queue arms its timer for "now"
 * whenever a slot frees: moving the time source to now, and off again once it fired, made
 * sd-event program its timerfd twice for each (timerfd_settime(), plus a read() of the
 * expiry), most of the system calls of a run beyond the requests' own. */
static int clock_timer_arm_event(ClockTimer *timer, usec_t when) {
        bool due = when <= clock_now(timer->clock);
        int r;

        r = sd_event_source_set_enabled(due ? timer->source : timer->defer, SD_EVENT_OFF);
        if (r >= 0 && due)
                return sd_event_source_set_enabled(timer->defer, SD_EVENT_ONESHOT);
        if (r >= 0)
                r = sd_event_source_set_time(timer->source, when);
        if (r >= 0)
                r = sd_event_source_set_enabled(timer->source, SD_EVENT_ONESHOT);
        return r;
}

int clock_timer_arm(ClockTimer *timer, usec_t when) {
        int r;

        if (when == USEC_INFINITY)
                return clock_timer_disarm(timer);
        if (timer->source) {
                r = clock_timer_arm_event(timer, when);
                if (r < 0)
                        return r;
        }
        timer->when = when;
        timer->seq = timer->clock->arm_seq++;
        return 0;
}

int clock_timer_disarm(ClockTimer *timer) {
        if (timer->source) {
                int r = sd_event_source_set_enabled(timer->source, SD_EVENT_OFF);
                if (r >= 0)
                        r = sd_event_source_set_enabled(timer->defer, SD_EVENT_OFF);
                if (r < 0)
                        return r;
        }
        timer->when = USEC_INFINITY;
        return 0;
}

usec_t clock_timer_get(const ClockTimer *timer) {
        return timer->when;
}

/* The armed fake timer that fires first, or NULL. */
static ClockTimer *clock_fake_first(Clock *clock) {
        ClockTimer *first = NULL;

        for (ClockTimer *t = clock->timers; t; t = t->next)
                if (t->when != USEC_INFINITY && (!first || t->when < first->when ||
                                                 (t->when == first->when && t->seq < first->seq)))
                        first = t;
        return first;
}

usec_t clock_fake_next(Clock *clock) {
        ClockTimer *t;

        if (clock->event)
                return USEC_INFINITY;
        t = clock_fake_first(clock);
        return t ? t->when : USEC_INFINITY;
}

int clock_fake_advance(Clock *clock, usec_t usec) {
        usec_t target;
        unsigned fired = 0;
        ClockTimer *t;

        if (clock->event)
                return -EOPNOTSUPP;
        target = clock->now > USEC_INFINITY - 1 - usec ? USEC_INFINITY - 1 : clock->now + usec;
        while ((t = clock_fake_first(clock)) && t->when <= target) {
                if (fired >= CLOCK_FAKE_MAX_FIRES)
                        return -ELOOP;
                clock->now = MAX(clock->now, t->when);
                clock_timer_dispatch(t, clock->now);
                fired++;
        }
        clock->now = target;
        return (int) MIN(fired, (unsigned) INT32_MAX);
}
