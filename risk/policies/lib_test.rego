# The shared decision logic.
package risk.lib_test

import rego.v1

import data.risk.lib

f(id, mode, effect, level) := {"rule_id": id, "code": id, "values": {}, "mode": mode, "effect": effect, "level": level, "score": 30, "notify": false, "rank": 1}

test_a_rule_missing_from_data_is_shadow if {
	x := lib.finding("nowhere.rule", "new_device", {})
	x.mode == "shadow"
	x.rule_id == "nowhere.rule"
}

test_action_and_level if {
	lib.action(set()) == "allow"
	lib.level(set()) == "LOW"
	lib.action({f("a", "enforce", "step_up", "MEDIUM")}) == "step_up"
	lib.level({f("a", "enforce", "step_up", "MEDIUM")}) == "MEDIUM"
	lib.level({f("a", "enforce", "step_up", "HIGH")}) == "HIGH"
	lib.action({f("a", "enforce", "step_up", "MEDIUM"), f("b", "enforce", "deny", "HIGH")}) == "deny"
	lib.level({f("a", "enforce", "cap", "MEDIUM")}) == "MEDIUM"
	lib.action({f("a", "enforce", "cap", "MEDIUM")}) == "allow"
}

test_shadow_findings_change_nothing if {
	fs := {f("a", "shadow", "deny", "HIGH"), f("b", "shadow", "step_up", "HIGH")}
	lib.action(fs) == "allow"
	lib.level(fs) == "LOW"
	lib.score(fs) == 0
}

test_score_sums_enforced_weights if {
	lib.score({f("a", "enforce", "step_up", "MEDIUM"), f("b", "enforce", "step_up", "MEDIUM")}) == 60
	lib.score({f("a", "enforce", "deny", "HIGH"), f("b", "enforce", "deny", "HIGH"), f("c", "enforce", "deny", "HIGH"), f("d", "enforce", "deny", "HIGH")}) == 100
}

test_methods_keep_passkey_first if {
	lib.methods({"recovery", "sms", "passkey"}) == ["passkey", "sms", "recovery"]
	lib.methods(set()) == []
}
