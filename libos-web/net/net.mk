# net/net.mk — the TCP/IPv4 stack (libexonet.a: net/ and tcp/, API in
# include/exonet.h, man/exonet.3), its host tests, the test application
# and the guest tests; included by libos-web/Makefile.
#
# A program on the stack compiles with $(EXONET_CFLAGS) and links
# $(EXONET_LIBS) (the stack, libexo static, and their dependencies).

EXONET_SRCS := $(wildcard $(WEB)/net/*.c) $(wildcard $(WEB)/tcp/*.c)
EXONET_OBJS := $(EXONET_SRCS:$(WEB)/%.c=$(WEB)/build/%.o)
EXONET_LIB  := $(WEB)/build/libexonet.a
EXONET_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -I$(WEB)/include \
	-I$(TOP)/libexo -I$(TOP)/kmod/include/uapi -MMD -MP
EXONET_LIBS := $(EXONET_LIB) $(TOP)/libexo/libexo.a -lbpf -luring -lelf -lz

$(WEB)/build/net/%.o: $(WEB)/net/%.c
	@mkdir -p $(@D)
	$(CC) $(EXONET_CFLAGS) -I$(WEB)/net -c -o $@ $<

$(WEB)/build/tcp/%.o: $(WEB)/tcp/%.c
	@mkdir -p $(@D)
	$(CC) $(EXONET_CFLAGS) -I$(WEB)/net -c -o $@ $<

$(EXONET_LIB): $(EXONET_OBJS)
	rm -f $@ && $(AR) rcs $@ $^

# Host tests: a virtual wire and a virtual clock (test/host/vdev.c).
NET_TESTS := $(addprefix $(WEB)/build/test/,tcp_script net_parse tcp_fuzz wake_batch)
NET_VDEV  := $(WEB)/test/host/vdev.c $(WEB)/test/host/vdev.h

$(NET_TESTS): $(WEB)/build/test/%: $(WEB)/test/host/%.c $(NET_VDEV) $(EXONET_LIB)
	@mkdir -p $(@D)
	$(CC) $(EXONET_CFLAGS) -I$(WEB)/net -I$(WEB)/test/host -o $@ $< \
		$(WEB)/test/host/vdev.c $(EXONET_LIBS)

# The test application (apps/) and the guest tests (test/vm/, run by
# selftests/run.sh in the VM: real Linux clients in another namespace).
NET_APPS := $(WEB)/build/exonet-echo
$(WEB)/build/exonet-echo: $(WEB)/apps/exonet-echo.c $(EXONET_LIB)
	@mkdir -p $(@D)
	$(CC) $(EXONET_CFLAGS) -o $@ $< $(EXONET_LIBS)

net-all: $(EXONET_LIB) $(NET_TESTS) $(NET_APPS)

# Each prints TAP; tcp_script runs every script (test/host/scripts/*.tcp).
net-check: net-all
	@fail=0; cd $(WEB)/test/host && \
	{ echo "# net_parse"; $(WEB)/build/test/net_parse || fail=1; \
	  echo "# tcp_script"; $(WEB)/build/test/tcp_script scripts/*.tcp || fail=1; \
	  echo "# tcp_script --offload (checksum, TSO, zero-copy)"; \
	  $(WEB)/build/test/tcp_script --offload scripts/*.tcp || fail=1; \
	  echo "# tcp_fuzz"; $(WEB)/build/test/tcp_fuzz || fail=1; \
	  echo "# tcp_fuzz --offload"; $(WEB)/build/test/tcp_fuzz --offload || fail=1; \
	  echo "# wake_batch"; $(WEB)/build/test/wake_batch || fail=1; }; exit $$fail

-include $(EXONET_OBJS:.o=.d) $(NET_TESTS:=.d) $(NET_APPS:=.d)

.PHONY: net-all net-check
