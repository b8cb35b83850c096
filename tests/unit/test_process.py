import os

from odoo_cloud.process import PerProcess


def test_built_once_per_process_and_again_after_a_fork():
    built = []
    value = PerProcess(lambda: built.append(os.getpid()) or object())
    first = value.get()
    assert value.get() is first and built == [os.getpid()]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports whether it built a value of its own
        os.write(write, b"1" if value.get() is not first else b"0")
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
