# fs/fs.mk — exofs, the file system on exo's XN (libexofs.a: the format,
# the allocation policy, directories, files, fsck; dev_exo.c, the block
# layer on /dev/exo), the exofs tool and its host tests; included by
# libos-web/Makefile.

EXOFS_CORE := $(addprefix $(WEB)/fs/,format.c alloc.c dir.c inode.c fsck.c)
EXOFS_SRCS := $(EXOFS_CORE) $(WEB)/fs/template.c $(WEB)/fs/dev_exo.c
EXOFS_OBJS := $(EXOFS_SRCS:$(WEB)/%.c=$(WEB)/build/%.o)
EXOFS_LIB  := $(WEB)/build/libexofs.a
EXOFS_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -I$(WEB)/fs \
	-I$(TOP)/libexo -I$(TOP)/kmod/include/uapi -MMD -MP
EXOFS_TOOL := $(WEB)/build/exofs
EXOFS_TESTS := $(WEB)/build/test/test_exofs

$(WEB)/build/fs/%.o: $(WEB)/fs/%.c
	@mkdir -p $(@D)
	$(CC) $(EXOFS_CFLAGS) -c -o $@ $<

$(EXOFS_LIB): $(EXOFS_OBJS)
	rm -f $@ && $(AR) rcs $@ $^

$(EXOFS_TOOL): $(WEB)/fs/exofs.c $(EXOFS_LIB)
	@mkdir -p $(@D)
	$(CC) $(EXOFS_CFLAGS) -o $@ $< $(EXOFS_LIB) $(TOP)/libexo/libexo.a \
		-lbpf -luring -lelf -lz

# Host tests: the pure logic on a stand-in for exo's XN calls.
$(EXOFS_TESTS): $(WEB)/build/test/%: $(WEB)/test/host/%.c \
		$(WEB)/test/host/exofs_fake.c $(WEB)/test/host/exofs_fake.h $(EXOFS_LIB)
	@mkdir -p $(@D)
	$(CC) $(EXOFS_CFLAGS) -I$(WEB)/test/host -o $@ $< \
		$(WEB)/test/host/exofs_fake.c $(EXOFS_LIB)

fs-all: $(EXOFS_LIB) $(EXOFS_TOOL) $(EXOFS_TESTS)

fs-check: fs-all
	@fail=0; for t in $(EXOFS_TESTS); do \
		echo "# $$t"; $$t || fail=1; \
	done; exit $$fail

-include $(EXOFS_OBJS:.o=.d) $(EXOFS_TESTS:=.d)

.PHONY: fs-all fs-check
