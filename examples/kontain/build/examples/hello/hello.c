/* hello.c: the smallest KM program. Build: /opt/kontain/bin/kontain-gcc hello.c -o hello.km */
#include <stdio.h>

int main(void)
{
   puts("Hello from the Kontain examples!");
   return 0;
}
