;; wasip2_libtest.wat - a WebAssembly component (wasm32-wasip2, WASI 0.2) that prints exactly what a Rust libtest
;; harness prints in its default ("pretty") format, like Examples/c/libtest_style.c: three tests, wasip2::add (ok),
;; wasip2::div (ok, or FAILED when the environment has CROSSRUN_DEMO_FAIL=1) and wasip2::overflow (ignored).
;;
;; It writes through wasi:cli/stdout and wasi:io/streams, reads its environment through wasi:cli/environment, and
;; ends through wasi:cli/exit: status 0 when every test passed, else exit(err), which wasmtime reports as status 1
;; (WASI 0.2's exit carries no code). Debian 12's Rust 1.63 has no wasm32-wasip2 target, so this is written by
;; hand; Examples/build.sh turns it into Examples/wasm/build/wasip2_libtest.wasm with the PyPI wasmtime package's
;; wat2wasm (the wat crate, which reads the component text format).
(component
  (import "wasi:io/error@0.2.0" (instance $io-error
    (export "error" (type (sub resource)))))
  (alias export $io-error "error" (type $error))

  (import "wasi:io/streams@0.2.0" (instance $streams
    (export "output-stream" (type (sub resource)))
    (alias outer 1 $error (type))
    (export "error" (type (eq 1)))
    (type (own 2))
    (type (variant (case "last-operation-failed" 3) (case "closed")))
    (export "stream-error" (type (eq 4)))
    (type (borrow 0))
    (type (list u8))
    (type (result (error 5)))
    (type (func (param "self" 6) (param "contents" 7) (result 8)))
    (export "[method]output-stream.blocking-write-and-flush" (func (type 9)))))
  (alias export $streams "output-stream" (type $output-stream))

  (import "wasi:cli/stdout@0.2.0" (instance $stdout
    (alias outer 1 $output-stream (type))
    (export "output-stream" (type (eq 0)))
    (type (own 1))
    (type (func (result 2)))
    (export "get-stdout" (func (type 3)))))

  (import "wasi:cli/environment@0.2.0" (instance $environment
    (type (tuple string string))
    (type (list 0))
    (type (func (result 1)))
    (export "get-environment" (func (type 2)))))

  (import "wasi:cli/exit@0.2.0" (instance $exit
    (type (result))
    (type (func (param "status" 0)))
    (export "exit" (func (type 1)))))

  ;; The memory and allocator the canonical ABI lowers lists and strings into (a bump allocator: the program is short).
  (core module $Memory
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 65536))
    (func (export "realloc") (param i32 i32) (param $align i32) (param $size i32) (result i32)
      (local $at i32)
      (local.set $at
        (i32.and
          (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
          (i32.sub (i32.const 0) (local.get $align))))
      (global.set $next (i32.add (local.get $at) (local.get $size)))
      (block $fits
        (br_if $fits (i32.le_u (global.get $next) (i32.shl (memory.size) (i32.const 16))))
        (br_if $fits
          (i32.ne
            (memory.grow (i32.add (i32.shr_u (global.get $next) (i32.const 16)) (i32.sub (i32.const 1) (memory.size))))
            (i32.const -1)))
        unreachable)
      (local.get $at)))
  (core instance $memory (instantiate $Memory))
  (alias core export $memory "memory" (core memory $mem))
  (alias core export $memory "realloc" (core func $realloc))

  (alias export $streams "[method]output-stream.blocking-write-and-flush" (func $blocking-write-and-flush))
  (alias export $stdout "get-stdout" (func $get-stdout))
  (alias export $environment "get-environment" (func $get-environment))
  (alias export $exit "exit" (func $exit-func))
  (core func $write-core (canon lower (func $blocking-write-and-flush) (memory $mem)))
  (core func $get-stdout-core (canon lower (func $get-stdout)))
  (core func $get-environment-core (canon lower (func $get-environment) (memory $mem) (realloc $realloc) string-encoding=utf8))
  (core func $exit-core (canon lower (func $exit-func)))

  (core module $Main
    (import "mem" "memory" (memory 1))
    (import "wasi" "write" (func $write (param i32 i32 i32 i32)))
    (import "wasi" "get-stdout" (func $get-stdout (result i32)))
    (import "wasi" "get-environment" (func $get-environment (param i32)))
    (import "wasi" "exit" (func $exit (param i32)))
    (global $stdout (mut i32) (i32.const 0))

    ;; 0..8: get-environment's return area (list pointer, length); 8..16: blocking-write-and-flush's.
    (data (i32.const 16) "CROSSRUN_DEMO_FAIL\00")
    (data (i32.const 64) "\0arunning 3 tests\0atest wasip2::add ... ok\0a\00")
    (data (i32.const 256) "test wasip2::div ... ok\0a\00")
    (data (i32.const 320) "test wasip2::div ... FAILED\0a\00")
    (data (i32.const 384) "test wasip2::overflow ... ignored\0a\00")
    (data (i32.const 512)
      "\0atest result: ok. 2 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s\0a\0a\00")
    (data (i32.const 1024)
      "\0afailures:\0a\0a---- wasip2::div stdout ----\0adividing 7 by 2\0a"
      "thread 'wasip2::div' panicked at 'assertion failed: `(left == right)`\0a  left: `3`,\0a right: `4`', src/wasip2.rs:12:9\0a"
      "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\0a\0a\0afailures:\0a    wasip2::div\0a"
      "\0atest result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s\0a\0a\00")

    ;; The length of the NUL-terminated text at $at.
    (func $length (param $at i32) (result i32)
      (local $end i32)
      (local.set $end (local.get $at))
      (block $done
        (loop $next
          (br_if $done (i32.eqz (i32.load8_u (local.get $end))))
          (local.set $end (i32.add (local.get $end) (i32.const 1)))
          (br $next)))
      (i32.sub (local.get $end) (local.get $at)))

    (func $print (param $at i32)
      (call $write (global.get $stdout) (local.get $at) (call $length (local.get $at)) (i32.const 8)))

    ;; Whether the $length bytes at $a and $b are equal.
    (func $equal (param $a i32) (param $b i32) (param $length i32) (result i32)
      (block $differ
        (loop $next
          (if (i32.eqz (local.get $length)) (then (return (i32.const 1))))
          (br_if $differ (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b))))
          (local.set $a (i32.add (local.get $a) (i32.const 1)))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (local.set $length (i32.sub (local.get $length) (i32.const 1)))
          (br $next)))
      (i32.const 0))

    ;; Whether the environment has CROSSRUN_DEMO_FAIL=1 (entries are key pointer, key length, value pointer,
    ;; value length: 16 bytes each).
    (func $should-fail (result i32)
      (local $entry i32) (local $end i32)
      (call $get-environment (i32.const 0))
      (local.set $entry (i32.load (i32.const 0)))
      (local.set $end (i32.add (local.get $entry) (i32.mul (i32.load (i32.const 4)) (i32.const 16))))
      (block $done
        (loop $next
          (br_if $done (i32.ge_u (local.get $entry) (local.get $end)))
          (if (i32.and
                (i32.and
                  (i32.eq (i32.load offset=4 (local.get $entry)) (i32.const 18))
                  (call $equal (i32.load (local.get $entry)) (i32.const 16) (i32.const 18)))
                (i32.and
                  (i32.eq (i32.load offset=12 (local.get $entry)) (i32.const 1))
                  (i32.eq (i32.load8_u (i32.load offset=8 (local.get $entry))) (i32.const 0x31))))
            (then (return (i32.const 1))))
          (local.set $entry (i32.add (local.get $entry) (i32.const 16)))
          (br $next)))
      (i32.const 0))

    ;; wasi:cli/run's run: prints the tests, then exits through wasi:cli/exit (0 ok, 1 err).
    (func (export "run") (result i32)
      (local $fail i32)
      (global.set $stdout (call $get-stdout))
      (local.set $fail (call $should-fail))
      (call $print (i32.const 64))
      (call $print (select (i32.const 320) (i32.const 256) (local.get $fail)))
      (call $print (i32.const 384))
      (call $print (select (i32.const 1024) (i32.const 512) (local.get $fail)))
      (call $exit (local.get $fail))
      (local.get $fail)))

  (core instance $main (instantiate $Main
    (with "mem" (instance $memory))
    (with "wasi" (instance
      (export "write" (func $write-core))
      (export "get-stdout" (func $get-stdout-core))
      (export "get-environment" (func $get-environment-core))
      (export "exit" (func $exit-core))))))

  (alias core export $main "run" (core func $run-core))
  (func $run (result (result)) (canon lift (core func $run-core)))
  (instance $run-instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run-instance)))
