# Shared decision logic: how the findings of one decision point become a decision.
#
# A finding is one rule that fired: its rule id, its stable reason code, the values that made it
# fire, and the rule's settings from data.config.rules[rule_id] (mode, effect, level, score,
# notify, rank). A rule id missing from data is a shadow rule: recorded, never acted on.
#
# Only enforced findings change anything. Effects: "deny" > "step_up" > "cap" (allow, but hold
# the server to a local limit) > nothing (allow).
package risk.lib

import rego.v1

rule_defaults := {
	"mode": "shadow",
	"effect": "step_up",
	"level": "MEDIUM",
	"score": 0,
	"notify": false,
	"rank": 1000,
}

finding(id, code, values) := object.union(
	object.union(rule_defaults, object.get(data.config.rules, id, {})),
	{"rule_id": id, "code": code, "values": values},
)

enforced(fs) := {f | some f in fs; f.mode == "enforce"}

shadowed(fs) := {f | some f in fs; f.mode != "enforce"}

effects(fs) := {f.effect | some f in enforced(fs)}

# Each step below takes what the one before computed, so that a decision evaluates every
# function once (Rego does not memoise function calls).

action(fs) := action_of(effects(fs))

action_of(effects) := "deny" if "deny" in effects

action_of(effects) := "step_up" if {
	not "deny" in effects
	"step_up" in effects
}

action_of(effects) := "allow" if {
	not "deny" in effects
	not "step_up" in effects
}

level(fs) := level_of(enforced(fs))

# A step-up is high-risk when a rule says so, or when enough distinct anomalies coincide.
level_of(enforced) := "HIGH" if action_of({f.effect | some f in enforced}) == "deny"

level_of(enforced) := lvl if {
	action_of({f.effect | some f in enforced}) == "step_up"
	flagged := count([1 | some f in enforced; f.effect == "step_up"; f.level == "HIGH"])
	anomalies := count({f.code | some f in enforced; f.effect == "step_up"})
	lvl := step_up_level(flagged, anomalies)
}

level_of(enforced) := "MEDIUM" if {
	effects := {f.effect | some f in enforced}
	action_of(effects) == "allow"
	"cap" in effects
}

level_of(enforced) := "LOW" if {
	effects := {f.effect | some f in enforced}
	action_of(effects) == "allow"
	not "cap" in effects
}

step_up_level(flagged, _) := "HIGH" if flagged > 0

step_up_level(flagged, anomalies) := "HIGH" if {
	flagged == 0
	anomalies >= data.config.step_up.high_after_reasons
}

step_up_level(flagged, anomalies) := "MEDIUM" if {
	flagged == 0
	anomalies < data.config.step_up.high_after_reasons
}

score(fs) := score_of(enforced(fs))

score_of(enforced) := min([100, sum([f.score | some f in enforced])])

reason(f) := {"code": f.code, "rule_id": f.rule_id, "mode": f.mode, "values": f.values, "rank": f.rank}

# The acr a step-up must reach. An account without a passkey cannot reach phr: it steps up with
# what it has (a fresh SMS code). Some points name their own acr (recovery: the user has lost
# their passkeys).
step_up_acr(_) := data.config.step_up.acr_without_passkey if input.signals.passkey_holder == false

step_up_acr(_) := data.config.step_up.acr_by_point[input.point] if {
	not input.signals.passkey_holder == false
}

step_up_acr(level) := data.config.step_up.acr_high if {
	not input.signals.passkey_holder == false
	not data.config.step_up.acr_by_point[input.point]
	level == "HIGH"
}

step_up_acr(level) := data.config.step_up.acr if {
	not input.signals.passkey_holder == false
	not data.config.step_up.acr_by_point[input.point]
	level != "HIGH"
}

required_acr(action, level) := step_up_acr(level) if action == "step_up"

required_acr(action, _) := null if action != "step_up"

max_age(action, level) := data.config.step_up.max_age_high if {
	action == "step_up"
	level == "HIGH"
}

max_age(action, level) := object.get(data.config.step_up.max_age, input.point, 0) if {
	action == "step_up"
	level != "HIGH"
}

max_age(action, _) := null if action != "step_up"

# Obligations every point shares: tell the user when a rule that says so is enforced; hold
# SMS to a local limit when a capping rule is and the send goes ahead.
common_obligations(enforced, action) := notify | cap if {
	notify := {{"type": "notify_user"} | some f in enforced; f.notify == true}
	cap := {{"type": "limit_sends", "per_hour": data.config.sms.degraded_per_hour} |
		action == "allow"
		some f in enforced
		f.effect == "cap"
	}
}

# Required signals that are absent from input.signals.
missing(names) := {n | some n in names; not has_signal(n)}

has_signal(n) if object.get(input.signals, n, null) != null

# The methods in data.config.methods_order that are in `allowed`, passkey first.
methods(allowed) := [m | some m in data.config.methods_order; m in allowed]

# The decision document every package returns as `decision`.
decide(fs, allowed_methods, extra_obligations) := d if {
	enforced := [f | some f in fs; f.mode == "enforce"]
	effects := {f.effect | some f in enforced}
	action := action_of(effects)
	level := level_of(enforced)
	obligations := common_obligations(enforced, action) | extra_obligations
	d := {
		"action": action,
		"level": level,
		"score": score_of(enforced),
		"reasons": [reason(f) | some f in enforced],
		"shadow_reasons": [reason(f) | some f in fs; f.mode != "enforce"],
		"required_acr": required_acr(action, level),
		"max_age": max_age(action, level),
		"allowed_methods": allowed_methods,
		"obligations": [o | some o in obligations],
	}
}
