"""LARS as per-tensor PyTorch loops, the peers of our fused LARS steps: Algorithm 1 in the
form of timm's Lars, and the study's ver2 step as its code ran (as packages/optim/fixtures
re-enacts it). `state` maps a parameter to its momentum buffer; run under torch.no_grad().
"""
import torch


def lars_paper_step(params, state, lr, momentum, weight_decay, trust_coefficient):
    """timm's Lars as a plain loop: lambda = eta*|w|/(|g| + wd*|w|), 1 when a norm is 0."""
    m, wd, eta = momentum, weight_decay, trust_coefficient
    # On the parameters' device: torch.where mixing a CPU tensor with CUDA ones is not portable.
    one = torch.ones((), device=params[0].device if params else None)
    for p in params:
        g = p.grad
        w_norm, g_norm = p.norm(2.0), g.norm(2.0)
        ratio = torch.where((w_norm > 0) & (g_norm > 0), eta * w_norm / (g_norm + wd * w_norm), one)
        d = g.add(p, alpha=wd).mul_(ratio * lr)
        buf = state.get(p)
        if buf is None:
            state[p] = buf = d.clone()
        else:
            buf.mul_(m).add_(d)
        p.sub_(buf)


def lars_study_step(params, state, lr, momentum, weight_decay, trust_coefficient):
    """The study's ver2 step, per tensor, with its weight decay added into p.grad in place."""
    m, wd, trust = momentum, weight_decay, trust_coefficient
    for p in params:
        d_p = p.grad.data
        p_norm = torch.norm(p.data, p=2)
        d_p_norm = torch.norm(d_p, p=2).add_(p_norm, alpha=wd)
        local_lr = torch.div(p_norm, d_p_norm)
        local_lr.mul_(-lr * trust)
        d_p.add_(p.data, alpha=wd)
        buf = state.get(p)
        if buf is None:
            state[p] = buf = torch.clone(d_p).detach()
        else:
            buf.mul_(m).add_(d_p)
        buf.mul_(local_lr)
        p.data.add_(buf)
