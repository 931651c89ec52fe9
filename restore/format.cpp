// The plan as text and as JSON. Only names and field names: never an object's values (a Secret's).
#include "restore/restore.hpp"

namespace ktape::restore {

namespace {

std::string totals_line(const Plan& plan) {
  std::string line = "plan: " + std::to_string(plan.count(Action::create)) + " to create, ";
  line += std::to_string(plan.count(Action::update)) + " to update, ";
  line += std::to_string(plan.count(Action::remove)) + " to delete, ";
  line += std::to_string(plan.count(Action::keep)) + " kept, ";
  line += std::to_string(plan.unchanged) + " unchanged";
  return line;
}

// 1234567 -> "1,234,567".
std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace

std::string format_progress(const ApplyProgress& p) {
  std::string line = "applying " + grouped(p.done);
  line.append("/").append(grouped(p.total));
  line.append(" (").append(std::to_string(p.total == 0 ? 100 : p.done * 100 / p.total)).append("%): ");
  line.append("created ").append(grouped(p.counts.created));
  line.append(", updated ").append(grouped(p.counts.patched));
  line.append(", deleted ").append(grouped(p.counts.deleted));
  if (p.counts.skipped > 0) line.append(", skipped ").append(grouped(p.counts.skipped));
  line.append(", failed ").append(grouped(p.counts.failed));
  return line;
}

std::string format_plan(const Plan& plan) {
  std::string out;
  for (const auto& s : plan.steps) {
    out.append(action_name(s.action)).append(" ").append(s.label());
    if (!s.fields.empty() && s.action == Action::update) {
      out.append(" (");
      for (std::size_t i = 0; i < s.fields.size(); ++i) out.append(i ? ", " : "").append(s.fields[i]);
      out.append(")");
    }
    if (!s.reason.empty()) out.append(": ").append(s.reason);
    out.append("\n");
  }
  return out.append(totals_line(plan)).append("\n");
}

formats::Value plan_to_value(const Plan& plan) {
  formats::Value steps = formats::Value::array();
  for (const auto& s : plan.steps) {
    formats::Value v = formats::Value::object();
    v.set("action", std::string(action_name(s.action)));
    v.set("resource", s.resource.qualified_name());
    v.set("namespace", s.namespace_name);
    v.set("name", s.name);
    formats::Value fields = formats::Value::array();
    for (const auto& f : s.fields) fields.push_back(f);
    v.set("fields", std::move(fields));
    v.set("reason", s.reason);
    steps.push_back(std::move(v));
  }
  formats::Value totals = formats::Value::object();
  totals.set("create", static_cast<std::int64_t>(plan.count(Action::create)));
  totals.set("update", static_cast<std::int64_t>(plan.count(Action::update)));
  totals.set("delete", static_cast<std::int64_t>(plan.count(Action::remove)));
  totals.set("keep", static_cast<std::int64_t>(plan.count(Action::keep)));
  totals.set("unchanged", static_cast<std::int64_t>(plan.unchanged));
  formats::Value out = formats::Value::object();
  out.set("steps", std::move(steps));
  out.set("totals", std::move(totals));
  return out;
}

}  // namespace ktape::restore
