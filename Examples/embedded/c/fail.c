/* Prints a line on stdout and one on stderr, then exit(3) through the C library. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    printf("fail: about to exit with status 3\n");
    fprintf(stderr, "fail: this line goes to stderr\n");
    exit(3);
}
