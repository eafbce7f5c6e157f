#!/usr/bin/env python3
"""glasshouse demo workload.

A small, deterministic program that touches the file system, the loopback
network and child processes in many different ways, so that a glasshouse
receipt of it has something in every section. Standard library only; no
traffic leaves the machine (127.0.0.1, ::1 and a unix socket only).

It exits with status 3 on purpose: gh-run mirrors the command's exit code.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

EXIT_CODE = 3
TIMEOUT = 2.0  # seconds, for every socket and child process


def step(msg):
    print(f"sneaky: {msg}", flush=True)


def read_system_files():
    for path in ("/etc/hostname", "/etc/os-release"):
        try:
            with open(path, "r", encoding="utf-8", errors="replace") as f:
                data = f.read()
            step(f"read {path} ({len(data.splitlines())} lines)")
        except OSError as e:
            step(f"read {path} failed: {e.strerror}")


def play_with_files(work):
    nested = os.path.join(work, "a", "b", "c")
    os.makedirs(nested)
    step("created nested dirs a/b/c")

    text_path = os.path.join(nested, "notes.txt")
    with open(text_path, "w", encoding="utf-8") as f:
        f.write("glasshouse sees everything\n")
    with open(text_path, "r", encoding="utf-8") as f:
        step(f"wrote and read notes.txt: {f.read().strip()!r}")

    json_path = os.path.join(work, "data.json")
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump({"demo": "sneaky", "values": [1, 2, 3]}, f)
    with open(json_path, "r", encoding="utf-8") as f:
        step(f"wrote and read data.json: sum={sum(json.load(f)['values'])}")

    # open relative to a directory file descriptor (openat with a real dirfd)
    dfd = os.open(os.path.join(work, "a", "b"), os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = os.open("c/notes.txt", os.O_RDONLY, dir_fd=dfd)
        try:
            step(f"read via dir_fd: {len(os.read(fd, 4096))} bytes")
        finally:
            os.close(fd)
    finally:
        os.close(dfd)

    # open through a relative path after chdir
    old_cwd = os.getcwd()
    os.chdir(work)
    try:
        with open("relative.txt", "w", encoding="utf-8") as f:
            f.write("written through a relative path\n")
        with open("a/b/c/notes.txt", "r", encoding="utf-8") as f:
            f.read()
        step("wrote relative.txt and read a/b/c/notes.txt after chdir")
    finally:
        os.chdir(old_cwd)

    # a file that does not exist
    missing = os.path.join(work, "does-not-exist.txt")
    try:
        open(missing, "r").close()
        step("missing file unexpectedly opened")
    except FileNotFoundError:
        step("open of missing file failed with ENOENT (expected)")

    # remove the nested directories again
    os.remove(text_path)
    os.rmdir(nested)
    os.rmdir(os.path.join(work, "a", "b"))
    os.rmdir(os.path.join(work, "a"))
    step("removed nested dirs")


def tcp_roundtrip(family, host, label):
    server = socket.socket(family, socket.SOCK_STREAM)
    try:
        server.settimeout(TIMEOUT)
        server.bind((host, 0))
        server.listen(1)
        port = server.getsockname()[1]
        client = socket.socket(family, socket.SOCK_STREAM)
        try:
            # blocking connect, so the syscall itself reports the result
            # (a socket with a timeout connects non-blocking: EINPROGRESS)
            client.connect((host, port))
            client.settimeout(TIMEOUT)
            conn, _ = server.accept()
            with conn:
                client.sendall(b"ping")
                got = conn.recv(16)
            step(f"tcp {label} connect to own server ok ({got.decode()})")
        finally:
            client.close()
    finally:
        server.close()


def tcp_refused(family, host, label):
    # find a free port, then close it again: nobody listens there
    probe = socket.socket(family, socket.SOCK_STREAM)
    probe.bind((host, 0))
    port = probe.getsockname()[1]
    probe.close()
    client = socket.socket(family, socket.SOCK_STREAM)
    try:
        client.connect((host, port))  # blocking: loopback answers at once
        step(f"tcp {label} connect to closed port unexpectedly succeeded")
    except ConnectionRefusedError:
        step(f"tcp {label} connect to closed port refused (expected)")
    finally:
        client.close()


def udp_send(family, host, label):
    receiver = socket.socket(family, socket.SOCK_DGRAM)
    sender = socket.socket(family, socket.SOCK_DGRAM)
    try:
        receiver.settimeout(TIMEOUT)
        receiver.bind((host, 0))
        port = receiver.getsockname()[1]
        sender.sendto(b"hello", (host, port))
        got = receiver.recv(16)
        step(f"udp {label} sendto own port ok ({got.decode()})")
    finally:
        sender.close()
        receiver.close()


def udp_sendmsg(family, host, label):
    receiver = socket.socket(family, socket.SOCK_DGRAM)
    sender = socket.socket(family, socket.SOCK_DGRAM)
    try:
        receiver.settimeout(TIMEOUT)
        receiver.bind((host, 0))
        port = receiver.getsockname()[1]
        sender.sendmsg([b"hel", b"lo"], [], 0, (host, port))
        got = receiver.recv(16)
        step(f"udp {label} sendmsg own port ok ({got.decode()})")
    finally:
        sender.close()
        receiver.close()


def ipv6_loopback_available():
    if not socket.has_ipv6:
        return False
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        return False
    try:
        s.bind(("::1", 0))
        return True
    except OSError:
        return False
    finally:
        s.close()


def unix_roundtrip(work):
    path = os.path.join(work, "demo.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.settimeout(TIMEOUT)
        server.bind(path)
        server.listen(1)
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            client.connect(path)
            client.settimeout(TIMEOUT)
            conn, _ = server.accept()
            with conn:
                client.sendall(b"knock")
                got = conn.recv(16)
            step(f"unix socket connect ok ({got.decode()})")
        finally:
            client.close()
    finally:
        server.close()
        os.remove(path)


def network(work):
    tcp_roundtrip(socket.AF_INET, "127.0.0.1", "127.0.0.1")
    tcp_refused(socket.AF_INET, "127.0.0.1", "127.0.0.1")
    udp_send(socket.AF_INET, "127.0.0.1", "127.0.0.1")
    udp_sendmsg(socket.AF_INET, "127.0.0.1", "127.0.0.1")
    if ipv6_loopback_available():
        tcp_roundtrip(socket.AF_INET6, "::1", "::1")
        tcp_refused(socket.AF_INET6, "::1", "::1")
        udp_send(socket.AF_INET6, "::1", "::1")
    else:
        step("IPv6 loopback not available, skipping ::1")
    unix_roundtrip(work)


def children(work):
    sh_out = os.path.join(work, "from-sh.txt")
    subprocess.run(["/bin/sh", "-c", f"echo hi > '{sh_out}'"],
                   check=True, timeout=TIMEOUT)
    with open(sh_out, "r", encoding="utf-8") as f:
        step(f"sh child wrote from-sh.txt: {f.read().strip()!r}")

    py_out = os.path.join(work, "from-python.txt")
    code = ("import sys\n"
            "with open(sys.argv[1], 'w') as f:\n"
            "    f.write('hello from a python child\\n')\n")
    subprocess.run([sys.executable, "-c", code, py_out],
                   check=True, timeout=TIMEOUT)
    with open(py_out, "r", encoding="utf-8") as f:
        step(f"python child wrote from-python.txt: {f.read().strip()!r}")

    os.remove(sh_out)
    os.remove(py_out)


def main():
    step("starting")
    read_system_files()
    work = tempfile.mkdtemp(prefix="glasshouse-demo-", dir=tempfile.gettempdir())
    step("created temp work dir")
    try:
        play_with_files(work)
        network(work)
        children(work)
        for name in ("data.json", "relative.txt"):
            os.remove(os.path.join(work, name))
        os.rmdir(work)
        step("removed temp work dir")
    finally:
        # only reached with leftovers when a step above failed
        shutil.rmtree(work, ignore_errors=True)
    step(f"done, exiting with status {EXIT_CODE}")
    return EXIT_CODE


if __name__ == "__main__":
    sys.exit(main())
