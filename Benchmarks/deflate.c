// The gzip compressors side by side on the first 100 MB of a file: libdeflate in members of
// CHUNK bytes (as logdash writes gzip parts) and zlib as one stream, at LEVEL.
// cc -O2 -o /tmp/deflate Benchmarks/deflate.c -ldeflate -lz && /tmp/deflate json1m.log 1048576 6
#include <libdeflate.h>
#include <zlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
int main(int argc,char**argv){
  FILE*f=fopen(argv[1],"rb");fseek(f,0,SEEK_END);long n=ftell(f);fseek(f,0,SEEK_SET);
  n = n > 100000000 ? 100000000 : n;
  char*b=malloc(n);fread(b,1,n,f);
  size_t chunk=atoi(argv[2]);int level=atoi(argv[3]);
  struct libdeflate_compressor*c=libdeflate_alloc_compressor(level);
  char*out=malloc(chunk*2+1000);size_t tot=0;double t0=now();
  for(size_t o=0;o<n;o+=chunk){size_t len=n-o<chunk?n-o:chunk;tot+=libdeflate_gzip_compress(c,b+o,len,out,chunk*2+1000);}
  double t1=now();printf("libdeflate L%d chunk %zu: %.2f s, %.1f MB/s, ratio %.3f\n",level,chunk,t1-t0,n/1e6/(t1-t0),(double)tot/n);
  z_stream z;memset(&z,0,sizeof z);deflateInit2(&z,level,Z_DEFLATED,31,8,Z_DEFAULT_STRATEGY);
  size_t cap=n+n/10+1000;char*zo=malloc(cap);z.next_in=(Bytef*)b;z.avail_in=n;z.next_out=(Bytef*)zo;z.avail_out=cap;
  t0=now();deflate(&z,Z_FINISH);t1=now();printf("zlib L%d: %.2f s, %.1f MB/s, ratio %.3f\n",level,t1-t0,n/1e6/(t1-t0),(double)z.total_out/n);
}
