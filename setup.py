"""Builds the extension tasdsim._core with the project's CMake and packages python/tasdsim.

The build folder is TASDSIM_BUILD_DIR, else build/ of this source tree (the one `make build`
uses, so an existing build is reused); the Python found is the one running pip."""
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
BUILD_DIR = os.environ.get("TASDSIM_BUILD_DIR") or os.path.join(ROOT, "build")
# setuptools' own files go inside the CMake build folder, not next to the sources.
PIP_DIR = os.path.join(BUILD_DIR, "pip")
os.makedirs(PIP_DIR, exist_ok=True)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = BUILD_DIR
        jobs = os.environ.get("JOBS") or str(os.cpu_count() or 1)
        if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
            generator = ["-G", "Ninja"] if shutil.which("ninja") else []
            subprocess.check_call(["cmake", "-S", ROOT, "-B", build_dir, *generator,
                                   f"-DPython_EXECUTABLE={sys.executable}"])
        subprocess.check_call(["cmake", "--build", build_dir, "-j", jobs, "--target", "tasdsim_python"])
        built = os.path.join(build_dir, "python", "tasdsim")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        core = [f for f in os.listdir(built) if f.startswith("_core.") and f.endswith(".so")]
        if len(core) != 1:
            raise RuntimeError(f"{built}: expected one _core.*.so, found {core}")
        shutil.copyfile(os.path.join(built, core[0]), target)


setup(
    packages=["tasdsim"],
    package_dir={"": "python"},
    ext_modules=[Extension("tasdsim._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": PIP_DIR}, "egg_info": {"egg_base": PIP_DIR}},
)
