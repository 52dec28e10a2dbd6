/* Prints a line through the C library's semihosting stdout and returns 0 from main. */
#include <stdio.h>

int main(void) {
    unsigned sum = 0;
    for (unsigned i = 1; i <= 10; i++) sum += i;
    printf("pass: hello from bare metal, 1+..+10 = %u\n", sum);
    return sum == 55 ? 0 : 1;
}
