// Workload generators: a large directory tree and a small C project.
import fs from 'node:fs';
import path from 'node:path';

// `files` small files spread over directories of 100 files each
export function writeTree(dir, files) {
  const perDir = 100;
  for (let i = 0; i < files; i++) {
    const d = path.join(dir, `d${Math.floor(i / perDir)}`);
    if (i % perDir === 0) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, `f${i % perDir}.txt`), `${i}\n`);
  }
}

// `n` small C files plus main.c calling every function, and a Makefile with a clean target
export function writeBuildProject(dir, n) {
  const src = path.join(dir, 'src');
  fs.mkdirSync(src, { recursive: true });
  const decls = [];
  const calls = [];
  for (let i = 1; i <= n; i++) {
    fs.writeFileSync(path.join(src, `f${i}.c`), [
      '#include <string.h>',
      '#include <stdlib.h>',
      `int f${i}(const char *s)`,
      '{',
      '\tsize_t len = strlen(s);',
      `\tint acc = ${i};`,
      '\tfor (size_t k = 0; k < len; k++)',
      `\t\tacc = acc * ${31 + (i % 7)} + s[k];`,
      '\treturn acc ^ (int)len;',
      '}',
      '',
    ].join('\n'));
    decls.push(`int f${i}(const char *);`);
    calls.push(`\tt += f${i}(argv[0]);`);
  }
  fs.writeFileSync(path.join(src, 'main.c'), [
    '#include <stdio.h>',
    ...decls,
    'int main(int argc, char **argv)',
    '{',
    '\tlong t = argc;',
    ...calls,
    '\tprintf("%ld\\n", t);',
    '\treturn 0;',
    '}',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'Makefile'), [
    'OBJS := $(patsubst %.c,%.o,$(wildcard src/*.c))',
    'app: $(OBJS)',
    '\t$(CC) -o $@ $(OBJS)',
    'src/%.o: src/%.c',
    '\t$(CC) -O1 -c -o $@ $<',
    'clean:',
    '\trm -f app src/*.o',
    '.PHONY: clean',
    '',
  ].join('\n'));
}
