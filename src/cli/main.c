#include <stdio.h>
#include "lancec.h"
int main(void) { printf("lancec %s\n", lancec_version()); return 0; }
