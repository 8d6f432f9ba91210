# Cloudgate's adapter between rOCCI-cli 4.3.10 (rOCCI-api 4.3.14, rOCCI-core 4.3.6), written for
# Ruby 2 with highline 1 and hashie 3, and what Debian 12 packages: Ruby 3.1, highline 2.0,
# hashie 5.0. scripts/rocci/occi loads it with `ruby -r` before the client, so the client's own
# sources stay exactly as tagged upstream. Each section names the symptom it prevents.

# The client ends --version, --help and every failure with `exit!`, which skips flushing Ruby's
# buffers: into a pipe (a test, a script) it printed nothing at all. Unbuffered streams have
# nothing left to lose.
$stdout.sync = true
$stderr.sync = true

# hashie 5 writes a warning to stdout for every Mash key named like a Hash method, and
# rOCCI-core's model has attributes called `method` and `size`: every command's output began
# with a screenful of them. Hashie.logger is hashie's own switch for that.
require 'logger'
require 'hashie'
Hashie.logger = Logger.new(File::NULL)

module Cloudgate
  # Ruby 2.6 added Hash#filter, so the CLI's `options.filter` (its --filter value, kept in a
  # Hashie::Mash) stopped reaching the Mash's key lookup and answered an Enumerator; the CLI
  # then refused every command with "You cannot use '--filter' without '--dump-model'!".
  # Called bare, as the CLI calls it, #filter reads the key again; with a block it is Hash's.
  module MashFilterKey
    def filter(*args, &block)
      args.empty? && block.nil? ? self['filter'] : super
    end
  end

  # The CLI's tables draw a rule as wide as the terminal through
  # HighLine::SystemExtensions.terminal_size, which highline 2 no longer has ("uninitialized
  # constant SystemExtensions"). Highline 2 asks its terminal object instead; it answers nil
  # when stdout is not a terminal, where highline 1 assumed 80 columns by 24 rows.
  module TerminalSize
    FALLBACK = [80, 24].freeze

    def self.terminal_size
      columns, rows = HighLine.default_instance.terminal.terminal_size
      columns.to_i > 1 ? [columns, rows] : FALLBACK
    end
  end

  # The CLI builds its templates with ERB.new(text, nil, '-'), the positional safe_level and
  # trim_mode that Ruby 3.1 deprecates with two warnings on stderr per template. The same
  # arguments passed as keywords mean the same and warn nothing.
  module ErbPositionalArguments
    def initialize(template, _safe_level = nil, positional_trim_mode = nil,
                   positional_eoutvar = '_erbout',
                   trim_mode: positional_trim_mode, eoutvar: positional_eoutvar)
      super(template, trim_mode: trim_mode, eoutvar: eoutvar)
    end
  end
end

Hashie::Mash.prepend(Cloudgate::MashFilterKey)

require 'highline'
HighLine.const_set(:SystemExtensions, Cloudgate::TerminalSize) unless
  HighLine.const_defined?(:SystemExtensions, false)

require 'erb'
ERB.prepend(Cloudgate::ErbPositionalArguments)
