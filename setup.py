"""espnet_mtasr: an ESPnet plugin for multi-talker speech recognition with LLMs."""

from pathlib import Path

from setuptools import find_packages, setup


def _requirements(name: str) -> list:
    lines = (Path(__file__).parent / "requirements" / name).read_text().splitlines()
    return [ln.split("#")[0].strip() for ln in lines if ln.split("#")[0].strip()]


setup(
    name="espnet_mtasr",
    version="0.1.0",
    description="Multi-talker ASR with large language models, as an ESPnet plugin",
    long_description=(Path(__file__).parent / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.11,<3.14",
    packages=find_packages(include=["espnet_mtasr", "espnet_mtasr.*"]),
    package_data={"espnet_mtasr": ["data/resources/*.txt"]},
    # torch, torchaudio and espnet are installed by `make install` in separate steps
    # (espnet 202511 pins setuptools<74, which the CPU torch wheel cannot build with);
    # they are listed here so that `pip check` and users with their own CUDA torch
    # see the real dependency. A loose `torch` pin never pulls a new build where torch
    # is already installed.
    # The two tested ESPnet lines, by Python version (README, "Tested versions").
    install_requires=[
        "torch>=2.1",
        "torchaudio>=2.1",
        "espnet==202511; python_version < '3.12'",
        "espnet==202611; python_version >= '3.12'",
    ]
    + _requirements("base.txt"),
    extras_require={"test": _requirements("test.txt")},
    entry_points={
        "console_scripts": [
            "mtasr-train=espnet_mtasr.bin.mtasr_train:main",
            "mtasr-inference=espnet_mtasr.bin.mtasr_inference:main",
            "mtasr-score=espnet_mtasr.bin.score:main",
            "mtasr-prep-librimix=espnet_mtasr.bin.prep_librimix:main",
            "mtasr-synth-librispeech=espnet_mtasr.bin.synth_librispeech:main",
            "mtasr-simulate-mixtures=espnet_mtasr.bin.simulate_mixtures:main",
            "mtasr-validate-data-dir=espnet_mtasr.bin.validate_data_dir:main",
            "mtasr-prepare-llm=espnet_mtasr.bin.prepare_llm:main",
        ]
    },
    classifiers=[
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Topic :: Multimedia :: Sound/Audio :: Speech",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
