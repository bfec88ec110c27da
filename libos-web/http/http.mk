# http/http.mk — the HTTP layer (libhttp.a), its host tests and the host
# test driver; included by libos-web/Makefile.  Paths are relative to
# libos-web/ ($(WEB)).

HTTP_SRCS := $(addprefix $(WEB)/http/,parse.c uri.c date.c mime.c range.c \
	csum.c cache.c response.c conn.c)
HTTP_OBJS := $(HTTP_SRCS:$(WEB)/%.c=$(WEB)/build/%.o)
HTTP_LIB  := $(WEB)/build/libhttp.a

HTTP_TESTS := $(addprefix $(WEB)/build/test/,test_parse test_uri test_date \
	test_range test_csum test_cache test_response test_conn test_fuzz)

HTTP_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -I$(WEB)/http -I$(WEB)/include \
	-MMD -MP

$(WEB)/build/http/%.o: $(WEB)/http/%.c
	@mkdir -p $(@D)
	$(CC) $(HTTP_CFLAGS) -c -o $@ $<

$(HTTP_LIB): $(HTTP_OBJS)
	$(AR) rcs $@ $^

$(WEB)/build/test/%: $(WEB)/test/host/%.c $(WEB)/test/host/tap.h $(HTTP_LIB)
	@mkdir -p $(@D)
	$(CC) $(HTTP_CFLAGS) -I$(WEB)/test/host -o $@ $< $(HTTP_LIB)

$(WEB)/build/http-hostd: $(WEB)/test/host/http-hostd.c $(HTTP_LIB)
	@mkdir -p $(@D)
	$(CC) $(HTTP_CFLAGS) -o $@ $< $(HTTP_LIB)

http-all: $(HTTP_LIB) $(HTTP_TESTS) $(WEB)/build/http-hostd

# exo-httpd links the TCP/IP stack (net/net.mk: build/libexonet.a and
# EXONET_LIBS, what a program on the stack links with); built when the
# stack is in the tree.  Recipes expand EXONET_LIBS when they run, so the
# order in which the two .mk files are included does not matter.
ifneq ($(wildcard $(WEB)/net/net.mk),)
HTTPD := $(WEB)/build/exo-httpd
HTTPD_SRCS := $(WEB)/httpd/exo-httpd.c $(WEB)/httpd/mem_exo.c \
	$(WEB)/httpd/docroot_exofs.c

# (libexofs.a: fs/fs.mk, included after this file; recipes expand late)
$(HTTPD): $(HTTPD_SRCS) $(WEB)/httpd/mem_exo.h $(WEB)/httpd/docroot_exofs.h \
		$(HTTP_LIB) $(WEB)/build/libexonet.a $(WEB)/build/libexofs.a
	@mkdir -p $(@D)
	$(CC) $(HTTP_CFLAGS) -I$(WEB)/httpd -I$(WEB)/fs -I$(TOP)/libexo \
		-I$(TOP)/kmod/include/uapi -o $@ $(HTTPD_SRCS) $(HTTP_LIB) \
		$(WEB)/build/libexofs.a $(EXONET_LIBS)

http-all: $(HTTPD)
endif

# Each test prints TAP; a failing one fails the target after all ran.
http-check: http-all
	@fail=0; for t in $(HTTP_TESTS); do \
		echo "# $$t"; $$t || fail=1; \
	done; exit $$fail

-include $(HTTP_OBJS:.o=.d) $(HTTP_TESTS:=.d)

.PHONY: http-all http-check
