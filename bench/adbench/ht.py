"""ADBench's hand tracking objective (Jacobian w.r.t. the 26 pose parameters theta).

A hand model of 22 bones (a wrist, five fingers of four bones each, a forearm)
skins 544 vertices; theta poses it, and the error is the distance of n data
points from the posed vertices they correspond to, as ADBench's
src/cpp/shared/hand_light_matrix.h and its Python modules compute it (the
'simple' variant, without the us parameters of 'complicated'):

    pose_params (25 x 3)  = theta laid out per bone: global rotation (angle-axis),
                            scale (ones), global translation, then per bone the
                            Euler angles (x, z, y); each finger's three outer
                            bones are posed (the first by two angles, the others
                            by one), the rest keep zeros
    relative_i            = base_relative_i @ [[R_euler(pose_params[3 + i]), 0], [0, 1]]
    absolute_i            = absolute_parent(i) @ relative_i     (the bone tree, roots first)
    transform_i           = absolute_i @ inverse_base_absolute_i
    vertex_v              = sum_i weights[v, i] (transform_i @ base_position_v)[:3]
                            (linear blend skinning; x scaled by mirror_factor)
    vertex_v              = (R_angle_axis(theta[0:3]) * scale) @ vertex_v + theta[3:6]
    error                 = (points - vertices[correspondences]).ravel()     (3n)

The Jacobian is (3n, 26), by sg.jacfwd (26 seeds in one batched forward
pass).  The model is not ADBench's (data/hand/model is not copied): a
hand-like model of the same shapes from a fixed seed -- the same bone tree,
rigid base relatives, inverse base absolutes consistent with them, skinning
weights summing to 1 over up to three bones of each vertex, vertices around
their bones, correspondences into the vertices and points near the posed
vertices.

Why the Jacobian costs tens of objectives: forward mode carries 26 tangents
through everything the objective computes, and ADBench's code skins all 544
vertices (a linear blend over 22 bones) before it reads the n it needs; the
hand-written Jacobian (as ADBench's manual C++ and Tapenade's exploit) skins
the n vertices only, and each finger parameter moves the few bones below it.
"""
import numpy as np

import s2sgrad as sg

TITLE = 'HT (Jacobian w.r.t. theta, simple)'

# Jacobian time / objective time, one thread.  The paper (arXiv 1807.10129) only
# plots its hand-tracking times (no table, not even a commented-out one in its
# LaTeX source), and it did not run Tapenade on HT (its matrix code would have
# had to be rewritten in plain C), so no figure is quoted.
PAPER = {'hand-written': '—', 'Tapenade': '—'}

# n = 100 is ADBench's smallest hand file (hand1_t26_c100); 1k its fifth's order
SIZES = {
    'n100': dict(n=100),
    'n1k': dict(n=1000),
}

N_BONES = 22
N_VERTICES = 544
N_FINGERS = 5


# ---------------------------------------------------------------------------
# The model and data, from a fixed seed.

def _bone_parents():
    """wrist (root), then each finger's four bones as a chain from the wrist, then the
    forearm (on the wrist)."""
    parents = [-1]
    for finger in range(N_FINGERS):
        first = 1 + 4 * finger
        parents += [0, first, first + 1, first + 2]
    return np.array(parents + [0], dtype=np.int64)


def _rotation(axis_angle):
    """Rodrigues' rotation of an angle-axis vector (reference, model making only)."""
    angle = np.linalg.norm(axis_angle)
    k = axis_angle / angle
    K = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + np.sin(angle) * K + (1.0 - np.cos(angle)) * (K @ K)


def _model(rng):
    parents = _bone_parents()
    base_relatives = np.zeros((N_BONES, 4, 4))
    for i in range(N_BONES):
        base_relatives[i, :3, :3] = _rotation(rng.normal(0.0, 0.3, 3))
        base_relatives[i, :3, 3] = 0.0 if i == 0 else rng.normal(0.0, 0.02, 3) + [0, 0.035, 0]
        base_relatives[i, 3, 3] = 1.0
    absolutes = np.zeros_like(base_relatives)
    for i in range(N_BONES):
        absolutes[i] = base_relatives[i] if parents[i] < 0 else \
            absolutes[parents[i]] @ base_relatives[i]
    inverse_base_absolutes = np.linalg.inv(absolutes)
    # each vertex around one bone, weighted over it, its parent and (maybe) its child
    bone = rng.integers(0, N_BONES, N_VERTICES)
    base_positions = np.ones((N_VERTICES, 4))
    base_positions[:, :3] = absolutes[bone, :3, 3] + rng.normal(0.0, 0.01, (N_VERTICES, 3))
    weights = np.zeros((N_VERTICES, N_BONES))
    children = {int(p): i for i, p in enumerate(parents) if p >= 0}
    for v, b in enumerate(bone):
        near = [b] + ([parents[b]] if parents[b] >= 0 else []) + \
            ([children[b]] if b in children and rng.random() < 0.5 else [])
        weights[v, near] = rng.dirichlet(np.ones(len(near)))
    return parents, base_relatives, inverse_base_absolutes, base_positions, weights


def inputs(rng, n):
    """ADBench's hand_objective arguments: theta, nbones, parents, base_relatives,
    inverse_base_absolutes, base_positions (homogeneous, 544 x 4), weights
    (544 x 22), mirror_factor, points (n x 3), correspondences (n)."""
    parents, base_relatives, inverse_base_absolutes, base_positions, weights = _model(rng)
    theta = np.concatenate([rng.normal(0.0, 1.0, 3), rng.normal(0.0, 0.1, 3),
                            rng.normal(0.0, 0.4, 20)])
    correspondences = rng.integers(0, N_VERTICES, n)
    mirror_factor = 1.0
    posed = vectorised(theta + rng.normal(0.0, 0.05, theta.shape), N_BONES, parents,
                       base_relatives, inverse_base_absolutes, base_positions, weights,
                       mirror_factor, np.zeros((n, 3)), correspondences)
    points = -posed.reshape(n, 3) + rng.normal(0.0, 0.002, (n, 3))
    return (theta, N_BONES, parents, base_relatives, inverse_base_absolutes, base_positions,
            weights, mirror_factor, points, correspondences)


# ---------------------------------------------------------------------------
# (a) 'adbench': ADBench's Python modules (src/python/modules/PyTorch/
# hand_objective.py) written in NumPy: helpers, Python loops over bones, lists
# of 4x4 transforms stacked with np.stack, np.dot, rotation matrices filled
# element by element into np.eye.  One change: relatives_to_absolutes fills an
# array of transforms indexed by the parent (ADBench appends to a list and
# indexes it by the parent: spelling 'adbench lists').

def to_pose_params(theta, nbones):
    pose_params = np.zeros((nbones + 3, 3))
    pose_params[0, :] = theta[0:3]
    pose_params[1, :] = np.ones((3,))
    pose_params[2, :] = theta[3:6]
    i_theta = 6
    i_pose_params = 5
    n_fingers = 5
    for i_finger in range(n_fingers):
        for i in [1, 2, 3]:
            pose_params[i_pose_params, 0] = theta[i_theta]
            i_theta += 1
            if i == 1:
                pose_params[i_pose_params, 1] = theta[i_theta]
                i_theta += 1
            i_pose_params += 1
        i_pose_params += 1
    return pose_params


def euler_angles_to_rotation_matrix(xzy):
    tx = xzy[0]
    ty = xzy[2]
    tz = xzy[1]
    Rx = np.eye(3)
    Rx[1, 1] = np.cos(tx)
    Rx[2, 1] = np.sin(tx)
    Rx[1, 2] = -Rx[2, 1]
    Rx[2, 2] = Rx[1, 1]
    Ry = np.eye(3)
    Ry[0, 0] = np.cos(ty)
    Ry[2, 0] = np.sin(ty)
    Ry[0, 2] = -Ry[2, 0]
    Ry[2, 2] = Ry[0, 0]
    Rz = np.eye(3)
    Rz[0, 0] = np.cos(tz)
    Rz[1, 0] = np.sin(tz)
    Rz[0, 1] = -Rz[1, 0]
    Rz[1, 1] = Rz[0, 0]
    return np.dot(np.dot(Rz, Ry), Rx)


def get_posed_relatives(pose_params, base_relatives):
    def inner(rot_param, base_relative):
        tr = np.eye(4)
        tr[:3, :3] = euler_angles_to_rotation_matrix(rot_param)
        return np.dot(base_relative, tr)

    return np.stack([inner(pose_params[3:][i], base_relatives[i])
                     for i in range(len(pose_params[3:]))])


def relatives_to_absolutes(relatives, parents):
    absolutes = np.zeros_like(relatives)
    for i in range(relatives.shape[0]):
        if parents[i] == -1:
            absolutes[i] = relatives[i]
        else:
            absolutes[i] = np.dot(absolutes[parents[i]], relatives[i])
    return absolutes


def angle_axis_to_rotation_matrix(angle_axis):
    n = np.sqrt(np.sum(angle_axis ** 2))
    if n < 0.0001:
        return np.eye(3)
    x, y, z = angle_axis / n
    s, c = np.sin(n), np.cos(n)
    R = np.zeros((3, 3))
    R[0, 0] = x * x + (1 - x * x) * c
    R[0, 1] = x * y * (1 - c) - z * s
    R[0, 2] = x * z * (1 - c) + y * s
    R[1, 0] = x * y * (1 - c) + z * s
    R[1, 1] = y * y + (1 - y * y) * c
    R[1, 2] = y * z * (1 - c) - x * s
    R[2, 0] = x * z * (1 - c) - y * s
    R[2, 1] = z * y * (1 - c) + x * s
    R[2, 2] = z * z + (1 - z * z) * c
    return R


def apply_global_transform(pose_params, positions):
    R = angle_axis_to_rotation_matrix(pose_params[0])
    s = pose_params[1]
    R = R * s
    t = pose_params[2]
    return np.transpose(np.dot(R, np.transpose(positions))) + t


def get_skinned_vertex_positions(pose_params, base_relatives, parents, inverse_base_absolutes,
                                 base_positions, weights, mirror_factor):
    relatives = get_posed_relatives(pose_params, base_relatives)
    absolutes = relatives_to_absolutes(relatives, parents)
    transforms = np.stack([np.dot(absolutes[i], inverse_base_absolutes[i])
                           for i in range(len(absolutes))])
    positions = np.stack([np.dot(transforms[i], np.transpose(base_positions))
                          for i in range(transforms.shape[0])])
    positions = np.transpose(positions, (2, 0, 1))          # (vertices, bones, 4)
    positions = np.sum(positions * weights.reshape(weights.shape + (1,)), 1)[:, :3]
    positions = positions * np.array([mirror_factor, 1.0, 1.0])
    return apply_global_transform(pose_params, positions)


def adbench(theta, nbones, parents, base_relatives, inverse_base_absolutes, base_positions,
            weights, mirror_factor, points, correspondences):
    pose_params = to_pose_params(theta, nbones)
    vertex_positions = get_skinned_vertex_positions(
        pose_params, base_relatives, parents, inverse_base_absolutes, base_positions,
        weights, mirror_factor)
    err = np.stack([points[i] - vertex_positions[int(correspondences[i])]
                    for i in range(points.shape[0])])
    return err.ravel()


# ---------------------------------------------------------------------------
# (d) 'adbench lists': (a) with ADBench's relatives_to_absolutes as written: a
# list appended to in the loop and indexed by the parent's index.

def relatives_to_absolutes_list(relatives, parents):
    absolutes = []
    for i in range(relatives.shape[0]):
        if parents[i] == -1:
            absolutes.append(relatives[i])
        else:
            absolutes.append(np.dot(absolutes[parents[i]], relatives[i]))
    return np.stack(absolutes)


def adbench_lists(theta, nbones, parents, base_relatives, inverse_base_absolutes,
                  base_positions, weights, mirror_factor, points, correspondences):
    pose_params = to_pose_params(theta, nbones)
    relatives = get_posed_relatives(pose_params, base_relatives)
    absolutes = relatives_to_absolutes_list(relatives, parents)
    transforms = np.stack([np.dot(absolutes[i], inverse_base_absolutes[i])
                           for i in range(len(absolutes))])
    positions = np.stack([np.dot(transforms[i], np.transpose(base_positions))
                          for i in range(transforms.shape[0])])
    positions = np.transpose(positions, (2, 0, 1))
    positions = np.sum(positions * weights.reshape(weights.shape + (1,)), 1)[:, :3]
    positions = positions * np.array([mirror_factor, 1.0, 1.0])
    vertex_positions = apply_global_transform(pose_params, positions)
    err = np.stack([points[i] - vertex_positions[int(correspondences[i])]
                    for i in range(points.shape[0])])
    return err.ravel()


# ---------------------------------------------------------------------------
# (b) 'matmul': ADBench's TensorFlow module's shape of the code
# (src/python/modules/TensorflowCommon/hand_objective.py): @ for every
# product, rotations built from nested lists, bone transforms as one stack
# multiplied at once, skinning by np.einsum, the error by fancy indexing.

def pose_params_stacked(theta):
    zero = np.zeros(1)
    rows = [theta[0:3], np.ones(3), theta[3:6], np.zeros(3), np.zeros(3)]
    i_theta = 6
    for _ in range(N_FINGERS):
        rows.append(np.concatenate([theta[i_theta:i_theta + 2], zero]))
        rows.append(np.concatenate([theta[i_theta + 2:i_theta + 3], zero, zero]))
        rows.append(np.concatenate([theta[i_theta + 3:i_theta + 4], zero, zero]))
        rows.append(np.zeros(3))
        i_theta += 4
    return np.stack(rows)


def euler_matmul(xzy):
    ctx, stx = np.cos(xzy[0]), np.sin(xzy[0])
    cty, sty = np.cos(xzy[2]), np.sin(xzy[2])
    ctz, stz = np.cos(xzy[1]), np.sin(xzy[1])
    Rx = np.array([[1.0, 0.0, 0.0], [0.0, ctx, -stx], [0.0, stx, ctx]])
    Ry = np.array([[cty, 0.0, -sty], [0.0, 1.0, 0.0], [sty, 0.0, cty]])
    Rz = np.array([[ctz, -stz, 0.0], [stz, ctz, 0.0], [0.0, 0.0, 1.0]])
    return (Rz @ Ry) @ Rx


def angle_axis_matmul(angle_axis):
    n = np.sqrt(np.sum(angle_axis ** 2, 0))
    if n < 0.0001:
        return np.eye(3)
    x, y, z = angle_axis / n
    s, c = np.sin(n), np.cos(n)
    return np.array([[x * x + (1 - x * x) * c, x * y * (1 - c) - z * s, x * z * (1 - c) + y * s],
                     [x * y * (1 - c) + z * s, y * y + (1 - y * y) * c, y * z * (1 - c) - x * s],
                     [x * z * (1 - c) - y * s, z * y * (1 - c) + x * s, z * z + (1 - z * z) * c]])


def matmul(theta, nbones, parents, base_relatives, inverse_base_absolutes, base_positions,
           weights, mirror_factor, points, correspondences):
    pose_params = pose_params_stacked(theta)
    bottom = np.array([[0.0, 0.0, 0.0, 1.0]])
    relatives = []
    for i in range(nbones):
        R = euler_matmul(pose_params[3 + i])
        tr = np.concatenate([np.concatenate([R, np.zeros((3, 1))], 1), bottom], 0)
        relatives.append(base_relatives[i] @ tr)
    relatives = np.stack(relatives)
    absolutes = np.zeros_like(relatives)
    for i in range(nbones):
        if parents[i] == -1:
            absolutes[i] = relatives[i]
        else:
            absolutes[i] = absolutes[parents[i]] @ relatives[i]
    transforms = absolutes @ inverse_base_absolutes
    positions = base_positions @ np.transpose(transforms, (0, 2, 1))   # (bones, vertices, 4)
    positions = np.einsum('bvk,vb->vk', positions, weights)[:, :3]
    positions = positions * np.array([mirror_factor, 1.0, 1.0])
    R = angle_axis_matmul(pose_params[0]) * pose_params[1]
    vertex_positions = (R @ positions.T).T + pose_params[2]
    return (points - vertex_positions[correspondences]).ravel()


# ---------------------------------------------------------------------------
# (c) 'vectorised': one function, no helpers: every bone's rotation at once from
# arrays of angles, the pose parameters gathered by an index array, the bone
# tree walked over an array of transforms, skinning by batched products.

# where each row of pose_params (flattened, 25 x 3) takes its value from:
# theta's index, or 26 (a zero appended) / 27 (a one appended)
_POSE = np.full((N_BONES + 3, 3), 26)
_POSE[0], _POSE[1], _POSE[2] = [0, 1, 2], [27, 27, 27], [3, 4, 5]
for _f in range(N_FINGERS):
    _POSE[5 + 4 * _f, :2] = 6 + 4 * _f, 7 + 4 * _f
    _POSE[6 + 4 * _f, 0], _POSE[7 + 4 * _f, 0] = 8 + 4 * _f, 9 + 4 * _f
POSE_INDEX = _POSE


def vectorised(theta, nbones, parents, base_relatives, inverse_base_absolutes, base_positions,
               weights, mirror_factor, points, correspondences):
    pose_params = np.concatenate([theta, np.array([0.0, 1.0])])[POSE_INDEX]
    angles = pose_params[3:]
    c, s = np.cos(angles), np.sin(angles)
    zero, one = np.zeros(nbones), np.ones(nbones)
    Rx = np.stack([one, zero, zero, zero, c[:, 0], -s[:, 0], zero, s[:, 0], c[:, 0]], 1)
    Ry = np.stack([c[:, 2], zero, -s[:, 2], zero, one, zero, s[:, 2], zero, c[:, 2]], 1)
    Rz = np.stack([c[:, 1], -s[:, 1], zero, s[:, 1], c[:, 1], zero, zero, zero, one], 1)
    R = Rz.reshape(nbones, 3, 3) @ Ry.reshape(nbones, 3, 3) @ Rx.reshape(nbones, 3, 3)
    tr = np.concatenate([np.concatenate([R, np.zeros((nbones, 3, 1))], 2),
                         np.broadcast_to(np.array([0.0, 0.0, 0.0, 1.0]), (nbones, 1, 4))], 1)
    relatives = base_relatives @ tr
    absolutes = np.zeros_like(relatives)
    for i in range(nbones):
        if parents[i] == -1:
            absolutes[i] = relatives[i]
        else:
            absolutes[i] = absolutes[parents[i]] @ relatives[i]
    transforms = absolutes @ inverse_base_absolutes
    selected = base_positions[correspondences]                          # (n, 4)
    per_bone = selected @ np.transpose(transforms[:, :3], (0, 2, 1))    # (bones, n, 3)
    positions = np.sum(per_bone * weights[correspondences].T[:, :, None], 0)
    positions = positions * np.array([mirror_factor, 1.0, 1.0])
    aa = pose_params[0]
    n = np.sqrt(np.sum(aa * aa))
    k = aa / n
    K = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    R = np.cos(n) * np.eye(3) + (1.0 - np.cos(n)) * (k[:, None] * k[None, :]) + np.sin(n) * K
    R = R * pose_params[1]
    return (points - (positions @ R.T + pose_params[2])).ravel()


SPELLINGS = {
    'adbench': adbench,
    'adbench lists': adbench_lists,
    'matmul': matmul,
    'vectorised': vectorised,
}


def derivative(objective):
    # forward mode: 26 inputs, 3n outputs.  jacfwd carries the 26 seeds in one pass
    # (ad/batching.py); jacrev runs an adjoint per output (300 at n = 100), measured
    # at some 3000x the objective against jacfwd's 10-60x
    return sg.jacfwd(objective, wrt=0)


# ---------------------------------------------------------------------------
# The hand-written Jacobian: forward mode by hand, vectorised over the 20 finger
# parameters (ADBench's src/cpp/modules/manual/hand_d.cpp computes the same
# chain: each posed bone's rotation derivative, carried down the bone tree,
# skinned, then rotated by the global rotation).

def _finger_parameters():
    """For each of theta[6:26]: the bone it poses and the Euler angle (0: x, 1: z)."""
    bones, angles = [], []
    for finger in range(N_FINGERS):
        first = 1 + 4 * finger
        bones += [first + 1, first + 1, first + 2, first + 3]
        angles += [0, 1, 0, 0]
    return np.array(bones), np.array(angles)


FINGER_BONES, FINGER_ANGLES = _finger_parameters()


def _axis_rotations(angle, axes):
    """Rotations about one axis (axes: the two rows/columns it turns) of each angle, and
    their derivatives: (m, 3, 3) each."""
    c, s = np.cos(angle), np.sin(angle)
    R = np.tile(np.eye(3), (len(angle), 1, 1))
    dR = np.zeros_like(R)
    a, b = axes
    R[:, a, a], R[:, b, a], R[:, a, b], R[:, b, b] = c, s, -s, c
    dR[:, a, a], dR[:, b, a], dR[:, a, b], dR[:, b, b] = -s, c, -c, -s
    return R, dR


def _angle_axis_d(aa):
    """Rodrigues' rotation R of aa and dR[m] = dR / d aa[m]: (3, 3), (3, 3, 3)."""
    n = np.sqrt(aa @ aa)
    if n < 0.0001:
        return np.eye(3), np.zeros((3, 3, 3))
    k = aa / n
    s, c = np.sin(n), np.cos(n)

    def cross(v):                         # (..., 3) -> (..., 3, 3): v x
        z = np.zeros(v.shape[:-1])
        return np.stack([np.stack([z, -v[..., 2], v[..., 1]], -1),
                         np.stack([v[..., 2], z, -v[..., 0]], -1),
                         np.stack([-v[..., 1], v[..., 0], z], -1)], -2)

    kk = np.outer(k, k)
    R = c * np.eye(3) + (1.0 - c) * kk + s * cross(k)
    dk = (np.eye(3) - kk) / n             # dk[m] = d k / d aa[m]
    dkk = dk[:, :, None] * k[None, None, :] + k[None, :, None] * dk[:, None, :]
    dR = (k[:, None, None] * (-s * np.eye(3) + s * kk + c * cross(k))
          + (1.0 - c) * dkk + s * cross(dk))
    return R, dR


def hand_derivative(theta, nbones, parents, base_relatives, inverse_base_absolutes,
                    base_positions, weights, mirror_factor, points, correspondences):
    """The (3n, 26) Jacobian of the error."""
    pose = np.concatenate([theta, [0.0, 1.0]])[POSE_INDEX]
    angles = pose[3:]
    Rx, dRx = _axis_rotations(angles[:, 0], (1, 2))
    Ry, _ = _axis_rotations(angles[:, 2], (0, 2))
    Rz, dRz = _axis_rotations(angles[:, 1], (0, 1))
    RzRy = Rz @ Ry
    relatives = base_relatives @ _homogeneous(RzRy @ Rx)
    # d relative / d theta[6 + j]: of bone FINGER_BONES[j], about x or z
    b = FINGER_BONES
    dR = np.where((FINGER_ANGLES == 0)[:, None, None], RzRy[b] @ dRx[b],
                  dRz[b] @ (Ry[b] @ Rx[b]))
    drelatives = np.zeros((len(b), 4, 4))
    drelatives[:, :, :3] = base_relatives[b][:, :, :3] @ dR
    # the bone tree: d absolute_i / d theta[6 + j], nonzero for the bone j poses and
    # the bones below it only (a few per parameter)
    absolutes = np.empty_like(relatives)
    dabsolutes = {}
    for i in range(nbones):
        p = parents[i]
        absolutes[i] = relatives[i] if p < 0 else absolutes[p] @ relatives[i]
        for j in range(len(b)):
            d = dabsolutes[p, j] @ relatives[i] if (p, j) in dabsolutes else None
            if b[j] == i:
                d = absolutes[p] @ drelatives[j] if d is None else d + absolutes[p] @ drelatives[j]
            if d is not None:
                dabsolutes[i, j] = d
    pairs = list(dabsolutes)
    bones = np.array([i for i, _ in pairs])
    params = np.array([j for _, j in pairs])
    transforms = (absolutes @ inverse_base_absolutes)[:, :3]                # (bones, 3, 4)
    dtransforms = (np.stack([dabsolutes[k] for k in pairs]) @
                   inverse_base_absolutes[bones])[:, :3]                    # (pairs, 3, 4)
    selected = base_positions[correspondences].T                           # (4, n)
    w = weights[correspondences].T                                         # (bones, n)
    positions = np.sum((transforms @ selected) * w[:, None], 0)             # (3, n)
    moved = (dtransforms @ selected) * w[bones][:, None]                   # (pairs, 3, n)
    by_param = (params[None, :] == np.arange(len(b))[:, None]).astype(float)
    dpositions = (by_param @ moved.reshape(len(pairs), -1)).reshape(len(b), 3, -1)
    mirror = np.array([mirror_factor, 1.0, 1.0])[:, None]
    positions, dpositions = positions * mirror, dpositions * mirror
    R, dRglobal = _angle_axis_d(pose[0])
    R, dRglobal = R * pose[1], dRglobal * pose[1]
    J = np.empty((len(correspondences), 3, 26))
    J[:, :, 0:3] = -np.transpose(dRglobal @ positions, (2, 1, 0))
    J[:, :, 3:6] = -np.eye(3)
    J[:, :, 6:] = -np.transpose(R @ dpositions, (2, 1, 0))
    return J.reshape(-1, 26)


def _homogeneous(R):
    """(m, 3, 3) rotations as (m, 4, 4) transforms."""
    tr = np.zeros(R.shape[:-2] + (4, 4))
    tr[..., :3, :3] = R
    tr[..., 3, 3] = 1.0
    return tr


def check(got, want, args):
    got = np.asarray(got)
    if got.shape != want.shape:
        raise AssertionError(f'Jacobian of shape {got.shape}, want {want.shape}')
    err = np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-300)
    if not err < 1e-9:
        raise AssertionError(f'Jacobian differs from the hand-written one: {err:.2e} '
                             f'(relative to its largest entry)')


def fd_check(args, rng):
    """The hand-written Jacobian along random directions of theta against central
    differences of every spelling's objective that runs in Python; mirrored too."""
    for mirror_factor in (args[7], -args[7]):
        at = args[:7] + (mirror_factor,) + args[8:]
        J = hand_derivative(*at)
        for _ in range(3):
            v = rng.normal(size=26)
            h = 1e-6
            for name, objective in SPELLINGS.items():
                fd = (objective(at[0] + h * v, *at[1:]) -
                      objective(at[0] - h * v, *at[1:])) / (2 * h)
                err = np.max(np.abs(fd - J @ v)) / np.max(np.abs(J @ v))
                if not err < 1e-6:
                    raise AssertionError(f'{name}: hand-written Jacobian along a direction '
                                         f'differs from central differences by {err:.2e}')
