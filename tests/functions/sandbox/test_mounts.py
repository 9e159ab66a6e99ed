"""The mount plan: code at /var/task, layers merged at /opt in AWS order, private /tmp, masks."""

from __future__ import annotations

from pathlib import Path

from overcast.functions.sandbox.mounts import mount_plan


def test_plan_without_layers(tmp_path: Path) -> None:
    plan = mount_plan(Path("/data/code"), (), 1024, (), (), readonly_root=True, pid_namespace=True)
    assert plan == [
        {"kind": "bind", "source": "/data/code", "target": "/var/task", "readonly": True},
        {"kind": "scratch", "targets": ["/tmp", "/dev/shm"], "size_mb": 1024, "mode": "1777"},
        {"kind": "tmpfs", "target": "/opt", "size_mb": 1, "mode": "0755", "readonly": True},
        {"kind": "readonly", "target": "/", "except": ["/tmp", "/dev/shm"]},
        {"kind": "proc", "target": "/proc", "options": ""},
    ]
    assert mount_plan(Path("/c"), (), 512, (), ())[-1] == {"kind": "proc", "target": "/proc", "options": "hidepid=2"}


def test_later_layers_override_earlier_ones() -> None:
    plan = mount_plan(Path("/c"), (Path("/l1"), Path("/l2"), Path("/l3")), 512, (), ())
    assert {"kind": "overlay", "lowers": ["/l3", "/l2", "/l1"], "target": "/opt"} in plan
    single = mount_plan(Path("/c"), (Path("/l1"),), 512, (), ())
    assert {"kind": "bind", "source": "/l1", "target": "/opt", "readonly": True} in single


def test_masks_and_reveals(tmp_path: Path) -> None:
    data = tmp_path.parent.parent / "not-under-tmp"  # masks under /tmp are covered by the private /tmp
    locked = Path("/root")
    plan = mount_plan(Path("/c"), (), 512, (data, Path("/")), (Path("/root/.pyenv/versions/3.12.1"),))
    if locked.exists() and not locked.stat().st_mode & 0o001:
        assert {
            "kind": "tmpfs",
            "target": "/root",
            "size_mb": 1,
            "mode": "0755",
            "dirs": [".pyenv/versions/3.12.1"],
        } in plan
        assert plan[-2] == {
            "kind": "bind",
            "source": "/root/.pyenv/versions/3.12.1",
            "target": "/root/.pyenv/versions/3.12.1",
            "readonly": True,
        }
    under_tmp = mount_plan(Path("/c"), (), 512, (tmp_path,), ())
    assert all(m.get("target") != str(tmp_path) for m in under_tmp)
