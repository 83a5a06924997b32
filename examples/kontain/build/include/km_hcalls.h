/* km_hcalls.h: hypercall numbers of the Kontain monitor (sample build). */
#ifndef KM_HCALLS_H_
#define KM_HCALLS_H_

#define KM_HCALL_PORT_BASE 0x8000

enum km_hcall {
   KM_HC_EXIT = 0,
   KM_HC_WRITE = 1,
   KM_HC_READ = 2,
   KM_HC_MMAP = 9,
   KM_HC_MUNMAP = 11,
   KM_HC_GETPID = 39,
};

#endif /* KM_HCALLS_H_ */
