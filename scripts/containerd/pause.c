/* The sandbox's "pause" process for NetTrace's containerd tests: it holds the pod's namespaces open and does
 * nothing else. As PID 1 of the pod it must reap orphans and exit on SIGTERM/SIGINT (containerd stops sandboxes
 * with SIGTERM, then SIGKILL after a grace period). Built with `gcc -static` so the image needs no libc. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) { (void)sig; _exit(0); }

static void on_child(int sig)
{
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0) { }
}

int main(void)
{
    struct sigaction stop = { .sa_handler = on_stop };
    struct sigaction child = { .sa_handler = on_child, .sa_flags = SA_NOCLDSTOP };
    sigemptyset(&stop.sa_mask);
    sigemptyset(&child.sa_mask);
    if (sigaction(SIGTERM, &stop, NULL) < 0 || sigaction(SIGINT, &stop, NULL) < 0 ||
        sigaction(SIGCHLD, &child, NULL) < 0)
        return 1;
    for (;;)
        pause();
}
