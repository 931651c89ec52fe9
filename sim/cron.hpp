#pragma once
// CronJob schedules as the real server parses them (github.com/robfig/cron/v3 with the standard
// five fields and descriptors, as kubernetes pkg/apis/batch/validation uses it).
#include <optional>
#include <string>
#include <string_view>

namespace ktape::sim {

// nullopt when `schedule` parses, else the parser's error text, word for word
// ("expected exactly 5 fields, found 2: [every minute]").
std::optional<std::string> check_cron_schedule(std::string_view schedule);

}  // namespace ktape::sim
