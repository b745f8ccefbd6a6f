/* SPDX-License-Identifier: MIT */
/* fakecloud: the cloud emulator (tests/fakecloud/README.md). */

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "tests/fakecloud/fakecloud.h"
#include "tests/fakecloud/server.h"

static void help(void) {
        printf("Usage: fakecloud [OPTIONS]\n"
               "\n"
               "Emulates the async-invocation config APIs of AWS Lambda, Alibaba FC3/FC2 and Huawei\n"
               "FunctionGraph on one port, verifying every request's signature. Prints\n"
               "\"LISTENING <port>\" once it accepts connections; exits on SIGTERM/SIGINT.\n"
               "\n"
               "  --listen HOST:PORT       address to listen on (default 127.0.0.1:0, 0 = a free port)\n"
               "  --aws AKID:SECRET        AWS credentials (default " FAKE_DEFAULT_AWS_AKID
               ":" FAKE_DEFAULT_AWS_SECRET ")\n"
               "  --alicloud AKID:SECRET   Alibaba credentials (default " FAKE_DEFAULT_ALICLOUD_AKID
               ":" FAKE_DEFAULT_ALICLOUD_SECRET ")\n"
               "  --huaweicloud AK:SK      Huawei credentials (default " FAKE_DEFAULT_HUAWEI_AK
               ":" FAKE_DEFAULT_HUAWEI_SK ")\n"
               "  --alicloud-account ID    Alibaba account id in ARNs (default " FAKE_DEFAULT_ALICLOUD_ACCOUNT
               ")\n"
               "  --huawei-project ID      Huawei project id (default " FAKE_DEFAULT_HUAWEI_PROJECT
               ")\n"
               "  --aws-account ID         AWS account id in ARNs (default " FAKE_DEFAULT_AWS_ACCOUNT
               ")\n"
               "  --tls-cert FILE          serve HTTPS with this PEM certificate ...\n"
               "  --tls-key FILE           ... and this PEM key\n"
               "  --threads N              worker threads (default: the number of CPUs)\n"
               "  --unqualified-lists      list answers leave the qualifier out (FC3's documented shape, moto's)\n"
               "  -h, --help               this help\n");
}

/* Splits "AKID:SECRET" in place. */
static int parse_credentials(char *arg, FakeCredentials *ret) {
        char *colon = strchr(arg, ':');

        if (!colon || colon == arg || !colon[1])
                return -EINVAL;
        *colon = 0;
        *ret = (FakeCredentials){ .access_key_id = arg, .secret = colon + 1 };
        return 0;
}

/* "HOST:PORT", "[V6]:PORT" or ":PORT". */
static int parse_listen(char *arg, FakeServerOptions *o) {
        char *colon = strrchr(arg, ':'), *end;
        unsigned long port;

        if (!colon)
                return -EINVAL;
        errno = 0;
        port = strtoul(colon + 1, &end, 10);
        if (errno != 0 || end == colon + 1 || *end || port > 65535)
                return -EINVAL;
        *colon = 0;
        if (arg[0] == '[' && colon > arg + 1 && colon[-1] == ']') {
                colon[-1] = 0;
                arg++;
        }
        o->host = arg[0] ? arg : "0.0.0.0";
        o->port = (uint16_t) port;
        return 0;
}

static char *read_file(const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t size = 0;
        FILE *m;

        if (!f)
                return NULL;
        m = open_memstream(&buf, &size);
        if (!m)
                return NULL;
        for (int ch; (ch = fgetc(f)) != EOF;)
                fputc(ch, m);
        fclose(m);
        return buf;
}

int main(int argc, char **argv) {
        enum {
                ARG_LISTEN = 0x100,
                ARG_AWS,
                ARG_ALI,
                ARG_HW,
                ARG_ALI_ACCOUNT,
                ARG_HW_PROJECT,
                ARG_AWS_ACCOUNT,
                ARG_CERT,
                ARG_KEY,
                ARG_THREADS,
                ARG_UNQUALIFIED_LISTS
        };
        static const struct option options[] = {
                { "listen", required_argument, NULL, ARG_LISTEN },
                { "aws", required_argument, NULL, ARG_AWS },
                { "alicloud", required_argument, NULL, ARG_ALI },
                { "huaweicloud", required_argument, NULL, ARG_HW },
                { "alicloud-account", required_argument, NULL, ARG_ALI_ACCOUNT },
                { "huawei-project", required_argument, NULL, ARG_HW_PROJECT },
                { "aws-account", required_argument, NULL, ARG_AWS_ACCOUNT },
                { "tls-cert", required_argument, NULL, ARG_CERT },
                { "tls-key", required_argument, NULL, ARG_KEY },
                { "threads", required_argument, NULL, ARG_THREADS },
                { "unqualified-lists", no_argument, NULL, ARG_UNQUALIFIED_LISTS },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        FakeCloudOptions co = {};
        FakeServerOptions so = { .host = "127.0.0.1" };
        _cleanup_free_ char *cert = NULL, *key = NULL;
        _cleanup_(fake_cloud_freep) FakeCloud *fc = NULL;
        const char *cert_path = NULL, *key_path = NULL;
        FakeServer *server = NULL;
        char error[256];
        sigset_t mask;
        int c, r, sig;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                r = 0;
                switch (c) {
                case ARG_LISTEN:
                        r = parse_listen(optarg, &so);
                        break;
                case ARG_AWS:
                        r = parse_credentials(optarg, &co.aws);
                        break;
                case ARG_ALI:
                        r = parse_credentials(optarg, &co.alicloud);
                        break;
                case ARG_HW:
                        r = parse_credentials(optarg, &co.huaweicloud);
                        break;
                case ARG_ALI_ACCOUNT:
                        co.alicloud_account = optarg;
                        break;
                case ARG_HW_PROJECT:
                        co.huawei_project = optarg;
                        break;
                case ARG_AWS_ACCOUNT:
                        co.aws_account = optarg;
                        break;
                case ARG_CERT:
                        cert_path = optarg;
                        break;
                case ARG_KEY:
                        key_path = optarg;
                        break;
                case ARG_THREADS:
                        so.threads = (unsigned) strtoul(optarg, NULL, 10);
                        r = so.threads == 0 || so.threads > 256 ? -EINVAL : 0;
                        break;
                case ARG_UNQUALIFIED_LISTS:
                        co.unqualified_lists = true;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return 2;
                }
                if (r < 0) {
                        /* Never echo the argument: it may hold a secret. */
                        fprintf(stderr, "fakecloud: invalid value for --%s\n",
                                options[c - ARG_LISTEN].name);
                        return 2;
                }
        }
        if (optind < argc || !cert_path != !key_path) {
                fprintf(stderr,
                        "fakecloud: unexpected arguments (--tls-cert and --tls-key go together)\n");
                return 2;
        }
        if (cert_path) {
                cert = read_file(cert_path);
                key = read_file(key_path);
                if (!cert || !key) {
                        fprintf(stderr, "fakecloud: cannot read the TLS certificate or key\n");
                        return 1;
                }
                so.tls_cert_pem = cert;
                so.tls_key_pem = key;
        }

        /* Block the signals before any thread starts, so that only sigwait() sees them. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &mask, NULL);

        r = fake_cloud_new(&co, &fc);
        if (r < 0) {
                fprintf(stderr, "fakecloud: %s\n", strerror(-r));
                return 1;
        }
        r = fake_server_start(fc, &so, &server, error, sizeof(error));
        if (r < 0) {
                fprintf(stderr, "fakecloud: %s\n", error);
                return 1;
        }
        printf("LISTENING %u\n", fake_server_port(server));
        fflush(stdout);

        sigdelset(&mask, SIGPIPE);
        do
                r = sigwait(&mask, &sig);
        while (r != 0);
        fake_server_stop(server);
        return 0;
}
