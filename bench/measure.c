/* measure.c - run a command and report its CPU time, peak RSS and page
 * faults.
 *
 *   measure CMD ARGS...    the command's output passes through; then
 *                          "MEASURE cpu_s maxrss_kib minor_faults" goes
 *                          to stderr.
 * A small C parent, so the child's peak RSS (kept across exec by Linux)
 * starts from this program's, not from a Python driver's. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  struct rusage ru;
  int status;
  pid_t pid;

  if (argc < 2)
    return 2;
  pid = fork();
  if (pid == 0) {
    execvp(argv[1], argv + 1);
    _exit(127);
  }
  if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
    return 1;
  fprintf(stderr, "MEASURE %.6f %ld %ld\n",
          (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
              (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
          ru.ru_maxrss, ru.ru_minflt);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
