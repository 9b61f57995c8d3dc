"""A policy rank's part of a checkpoint: model and optimizer with ``torch.distributed.checkpoint`` (sharded,
loadable by any number of ranks), the HF folder exported by rank 0, the LR schedule and each rank's RNG."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_state_dict,
    set_state_dict,
)

from rlvr.backends.local.fsdp import is_distributed, rank_and_size

SHARDED_DIR = "policy_sharded"  # DCP: model + optimizer
HF_DIR = "policy"  # save_pretrained folder: what the rollout engine and `rlvr eval` load
SCHEDULE_FILE = "policy_schedule.pt"
RNG_DIR = "rng"


def save_policy(directory: Path, model: torch.nn.Module, optimizer, scheduler, processor: Any) -> None:
    """Every rank calls this (the gathers and DCP's plan are collective); rank 0 writes the shared files.
    On several nodes ``directory`` must be on storage that every node sees."""
    rank, _ = rank_and_size()
    full = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
    if rank == 0:
        model.save_pretrained(directory / HF_DIR, state_dict=full)
        processor.save_pretrained(directory / HF_DIR)
        torch.save({"scheduler": scheduler.state_dict()}, directory / SCHEDULE_FILE)
    del full
    model_state, optim_state = get_state_dict(model, optimizer)
    dcp.save({"model": model_state, "optim": optim_state}, checkpoint_id=str(directory / SHARDED_DIR))
    (directory / RNG_DIR).mkdir(exist_ok=True)
    rng = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    torch.save(rng, directory / RNG_DIR / f"rank_{rank}.pt")


def load_policy(directory: Path, model: torch.nn.Module, optimizer, scheduler) -> None:
    """Restore what ``save_policy`` wrote, resharding to this group's size (which may differ from the
    saving run's). A rank that did not exist then keeps its own RNG seeding."""
    sharded = directory / SHARDED_DIR
    if not (sharded / ".metadata").is_file():
        raise FileNotFoundError(
            f"{directory} has no sharded policy state ({SHARDED_DIR}/.metadata): it was not written by this "
            "version of the local backend; start a new run (trainer.resume=never) or pick another output_dir."
        )
    model_state, optim_state = get_state_dict(model, optimizer)
    state = {"model": model_state, "optim": optim_state}
    dcp.load(state, checkpoint_id=str(sharded))
    set_state_dict(model, optimizer, model_state_dict=state["model"], optim_state_dict=state["optim"])
    scheduler.load_state_dict(torch.load(directory / SCHEDULE_FILE, weights_only=False)["scheduler"])
    rank, _ = rank_and_size()
    rng_file = directory / RNG_DIR / f"rank_{rank}.pt"
    if rng_file.is_file():
        rng = torch.load(rng_file, weights_only=False)
        torch.set_rng_state(rng["torch"])
        np.random.set_state(rng["numpy"])
        random.setstate(rng["python"])
    if is_distributed():
        torch.distributed.barrier()
