#include <stdio.h>

int main(void)
{
   puts("Hello from Kontain!");
   printf("Built by kontain-gcc\n");
   return 0;
}
