// The C side of testdata/cgo: two C functions that call back into Go, and
// the context, traceback and symbolizer functions of
// runtime.SetCgoTraceback. The traceback reports five fake pcs whatever
// the C stack holds; the symbolizer describes each in one of the forms the
// runtime prints.

#include <stddef.h>
#include <stdint.h>

extern void GoBlock(void);
extern void GoDump(void);

void c_block(void) { GoBlock(); }
void c_dump(void) { GoDump(); }

struct cgoContextArg {
	uintptr_t context;
};

struct cgoTracebackArg {
	uintptr_t context;
	uintptr_t sigContext;
	uintptr_t* buf;
	uintptr_t max;
};

struct cgoSymbolizerArg {
	uintptr_t pc;
	const char* file;
	uintptr_t lineno;
	const char* func;
	uintptr_t entry;
	uintptr_t more;
	uintptr_t data;
};

void tbContext(void* parg) {
	struct cgoContextArg* arg = parg;
	if (arg->context == 0) {
		arg->context = 1;
	}
}

void tbTraceback(void* parg) {
	struct cgoTracebackArg* arg = parg;
	uintptr_t pcs[] = {0x1000, 0x1001, 0x1002, 0x1003, 0x1004, 0};
	for (uintptr_t i = 0; i < 6 && i < arg->max; i++) {
		arg->buf[i] = pcs[i];
	}
}

void tbSymbolizer(void* parg) {
	struct cgoSymbolizerArg* arg = parg;
	if (arg->pc == 0) {
		return; // the runtime is done with this traceback
	}
	arg->func = NULL;
	arg->file = NULL;
	arg->lineno = 0;
	arg->more = 0;
	switch (arg->pc & 0xf) {
	case 0:
		arg->func = "c_entry";
		arg->file = "/src/lib/entry.c";
		arg->lineno = 12;
		break;
	case 1:
		arg->func = "c_noFile";
		break;
	case 2:
		arg->file = "/src/lib/anon.c";
		arg->lineno = 7;
		break;
	case 3:
		break; // neither name nor file: "non-Go function", then the pc
	case 4:
		// An inlined call, then its caller: two frames for one pc.
		if (arg->data == 0) {
			arg->func = "inlined_helper";
			arg->file = "/src/lib/helper.h";
			arg->lineno = 3;
			arg->more = 1;
			arg->data = 1;
		} else {
			arg->func = "ns::outer(int)";
			arg->file = "/src/lib/outer.cc";
			arg->lineno = 40;
			arg->data = 0;
		}
		break;
	}
}
