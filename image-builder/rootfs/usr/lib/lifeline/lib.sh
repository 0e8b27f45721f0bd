# Shared by the Lifeline system scripts (sourced; POSIX sh).
export PATH=/usr/sbin:/usr/bin

# say LINE...: print on every active kernel console (screen and serial line)
say()
{
	consoles=$(cat /sys/class/tty/console/active 2>/dev/null)
	[ -n "$consoles" ] || consoles=console
	for c in $consoles; do
		# tty0 is "the screen": the VT in the foreground
		printf '%s\n' "$*" >"/dev/$c" 2>/dev/null
	done
}

# param NAME: the value of NAME=VALUE on the kernel command line (last one wins); status 1
# when absent.  A bare NAME counts as NAME=1.
param()
{
	found=1
	read -r cmdline </proc/cmdline
	for w in $cmdline; do
		case $w in
		"$1"=*) value=${w#*=}; found=0 ;;
		"$1") value=1; found=0 ;;
		esac
	done
	[ $found -eq 0 ] && printf '%s\n' "$value"
	return $found
}

uptime_s()
{
	cut -d' ' -f1 /proc/uptime
}
